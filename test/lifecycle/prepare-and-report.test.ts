import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { LlmError } from "../../services/llm-error.ts"
import { MarketDeriver } from "../../services/market-deriver.ts"
import { ReportWriter } from "../../services/report-writer.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { assertPodInvariants, insertPendingJob, jobRow, ScenarioLive, podRows, runJob, statusHistory } from "../support/scenario.ts"

const brokenDeriver = Layer.succeed(MarketDeriver, MarketDeriver.of({
  derive: () => Effect.die(new Error("markets table is corrupt"))
}))

/** A report writer that fails `failures` times with `kind`, then writes a short report. */
const reportWriterFailing = (failures: number, kind: "transient" | "permanent") =>
  Layer.effect(ReportWriter, Effect.gen(function*() {
    const calls = yield* Ref.make(0)
    return ReportWriter.of({
      write: () =>
        Effect.gen(function*() {
          const call = yield* Ref.getAndUpdate(calls, (n) => n + 1)
          if (call < failures) return yield* new LlmError({ kind, message: kind === "transient" ? "529 overloaded" : "400 prompt too long" })
          return {
            markdown: "# Report\n\n## Executive Summary\n\nFine.\n\n## Verdict\n\nThe crowd leans yes.\n",
            structured: {
              brief: "Fine.",
              verdict: "The crowd leans yes.",
              findings: [],
              stakeholder_positions: [],
              named_coalitions: [],
              phase_boundaries: [],
              quotable_posts: [],
              disagreement_axis: null,
              sim_scale: { rounds: 0, agents: 0, markets: 0, posts: 0, replies: 0, follows: 0, trades: 0, likes: 0, forecast_days: 30 }
            },
            keyInsight: "The crowd leans yes."
          }
        })
    })
  }))

layer(TestDatabaseLive)("lifecycle: pre-GPU steps and the report", (it) => {
  it.effect("a yes/no goal gets one market offline, recorded on the job before any pod", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob({ goal: "Will the tram line be approved?" })
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "COMPLETED")
      assert.deepStrictEqual((row.markets_config as ReadonlyArray<{ question: string }>).map((m) => m.question), ["Will the tram line be approved?"])
    }).pipe(Effect.provide(ScenarioLive())), 60_000)

  it.effect("an unexpected pre-GPU failure fails the job with pre_gpu_failed and no pod is ever requested", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^pre_gpu_failed: /)
      assert.include(row.error_message ?? "", "markets table is corrupt")
      assert.lengthOf(yield* podRows(id), 0)
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "FAILED"])
    }).pipe(Effect.provide(ScenarioLive({ marketDeriver: brokenDeriver }))), 60_000)

  it.effect("transient report errors back off (30 s, 120 s) and the third attempt completes the job", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "COMPLETED")
      assert.strictEqual(row.key_insight, "The crowd leans yes.")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ reportWriter: reportWriterFailing(2, "transient") }))), 60_000)

  it.effect("transient report errors past the last back-off fail the job with report_transient_exhausted", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      const took = yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.strictEqual(row.error_message, "report_transient_exhausted: 529 overloaded")
      assert.isAtLeast(took, 30 + 120 + 300 + 900 + 1800, "every back-off was waited out")
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "REPORTING", "FAILED"])
    }).pipe(Effect.provide(ScenarioLive({ reportWriter: reportWriterFailing(99, "transient") }))), 60_000)

  it.effect("a permanent report error fails the job at once with report_generation_failed", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.strictEqual(row.error_message, "report_generation_failed: 400 prompt too long")
      assert.isTrue(row.sim_data_available, "the artifacts stay available")
    }).pipe(Effect.provide(ScenarioLive({ reportWriter: reportWriterFailing(99, "permanent") }))), 60_000)
})
