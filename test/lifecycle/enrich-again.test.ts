import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Enricher } from "../../services/enricher.ts"
import { JobLifecycle } from "../../services/job-lifecycle.ts"
import { LlmError } from "../../services/llm-error.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { advanceUntil, insertPendingJob, runJob, ScenarioLive } from "../support/scenario.ts"
import { TestDatabaseLive } from "../support/test-database.ts"

/** The job's enrichment events' data, in order. */
const enrichmentEvents = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ data: Record<string, unknown> }>`SELECT data FROM job_events
      WHERE job_id = ${id} AND kind = 'enrichment' ORDER BY seq`
    return rows.map((row) => row.data)
  }).pipe(Effect.orDie)

const enrichment = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ enriched_seed: string | null; citations: unknown }>`SELECT enriched_seed,
      enrichment_citations AS citations FROM simulation_jobs WHERE id = ${id}`
    return rows[0]!
  }).pipe(Effect.orDie)

const enrichAgain = (id: JobId) => JobLifecycle.use((lifecycle) => lifecycle.enrichAgain(id)).pipe(Effect.orDie)

const settled = (id: JobId) =>
  advanceUntil(Effect.map(enrichmentEvents(id), (events) => events.some((event) => event["event"] !== "requested")), { limitSeconds: 600 })

const researched = Layer.succeed(Enricher, {
  enrich: ({ seedText }) =>
    Effect.succeed({ summary: `Fresh background on: ${seedText}`, citations: [{ url: "https://example.org/tram", title: "Tram vote" }] })
})

const failing = Layer.succeed(Enricher, {
  enrich: () => Effect.fail(new LlmError({ kind: "permanent", message: "xAI answered 401: invalid API key" }))
})

layer(TestDatabaseLive, { timeout: 120_000 })("enrich-retry in the lifecycle", (it) => {
  it.effect("a finished job's seed is enriched again from the seed as submitted; the events say requested, completed", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      yield* enrichAgain(id)
      yield* settled(id)
      assert.deepStrictEqual(yield* enrichmentEvents(id), [
        { event: "requested" },
        { event: "completed", summary_chars: "Fresh background on: The council votes on the tram line on Tuesday.".length, citations: 1 }
      ])
      const row = yield* enrichment(id)
      // From the seed as submitted, not from the seed plus an earlier enrichment.
      assert.strictEqual(row.enriched_seed, "Fresh background on: The council votes on the tram line on Tuesday.")
      assert.deepStrictEqual(row.citations, [{ url: "https://example.org/tram", title: "Tram vote" }])
    }).pipe(Effect.provide(ScenarioLive({ enricher: researched }))))

  it.effect("an enricher that fails says why in the job's events and leaves the old enrichment", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const before = yield* enrichment(id)
      yield* enrichAgain(id)
      yield* settled(id)
      assert.deepStrictEqual(yield* enrichmentEvents(id), [
        { event: "requested" },
        { event: "failed", error: "xAI answered 401: invalid API key" }
      ])
      assert.deepStrictEqual(yield* enrichment(id), before)
    }).pipe(Effect.provide(ScenarioLive({ enricher: failing }))))
})
