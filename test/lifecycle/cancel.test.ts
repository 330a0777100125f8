import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Enricher } from "../../services/enricher.ts"
import { LlmError } from "../../services/llm-error.ts"
import { ReportWriter } from "../../services/report-writer.ts"
import { JobLifecycle } from "../../services/job-lifecycle.ts"
import { JobJournal } from "../../services/job-journal.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { SimulationWorkflow } from "../../src/lifecycle/workflows.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { advanceBy, advanceUntil, assertPodInvariants, insertPendingJob, jobRow, ScenarioLive, podRows, statusHistory } from "../support/scenario.ts"

/** What the API does on POST /cancel. */
const cancel = (id: JobId) =>
  Effect.gen(function*() {
    assert.isTrue(yield* (yield* JobLifecycle).cancel(id, "cancelled by its owner").pipe(Effect.orDie), "the job was live")
  })

const start = (id: JobId) => SimulationWorkflow.execute({ job_id: id }, { discard: true })

const runUntil = <R>(condition: Effect.Effect<boolean, never, R>, limitSeconds = 3600) => advanceUntil(condition, { limitSeconds })

const workflowDone = (id: JobId) =>
  Effect.gen(function*() {
    const poll = yield* SimulationWorkflow.poll(yield* SimulationWorkflow.executionId({ job_id: id }))
    return Option.isSome(poll) && poll.value._tag === "Complete"
  })

/**
 * After a cancel, within one poll interval (10 s), every pod is gone and the workflow has ended. The simulated clock
 * moves only while the program waits for it, so the measure is exact whatever the machine's load.
 */
const assertStoppedWithinOnePoll = (id: JobId) =>
  Effect.gen(function*() {
    const took = yield* advanceUntil(
      Effect.gen(function*() {
        const pods = yield* podRows(id)
        return pods.every((pod) => pod.terminated) && (yield* workflowDone(id))
      }),
      { limitSeconds: 60 }
    )
    assert.isAtMost(took, 10, "stopped within one poll interval (10 s)")
    assert.strictEqual((yield* jobRow(id)).status, "CANCELLED")
    yield* assertPodInvariants
  })

const slowEnricher = Layer.succeed(Enricher, Enricher.of({
  enrich: () => Effect.sleep("100 seconds").pipe(Effect.as(undefined))
}))

const flakyReports = Layer.succeed(ReportWriter, ReportWriter.of({
  write: () => Effect.fail(new LlmError({ kind: "transient", message: "529 overloaded" }))
}))

layer(TestDatabaseLive)("lifecycle: cancel", (it) => {
  it.effect("during pre-GPU work: the job ends CANCELLED and no pod is ever requested", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob({ enrichWeb: true })
      yield* start(id)
      yield* advanceBy(50)
      yield* cancel(id)
      yield* assertStoppedWithinOnePoll(id)
      assert.lengthOf(yield* podRows(id), 0)
    }).pipe(Effect.provide(ScenarioLive({ enricher: slowEnricher }))), 60_000)

  it.effect("while the pod is starting: the pod is terminated", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* start(id)
      yield* runUntil(Effect.map(podRows(id), (pods) => pods.some((pod) => pod.pod_id !== null)))
      yield* cancel(id)
      yield* assertStoppedWithinOnePoll(id)
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.termination_reason), ["cancelled"])
    }).pipe(Effect.provide(ScenarioLive({ timings: { readyAfter: 300 } }))), 60_000)

  it.effect("while waiting for the worker's health: the pod is terminated", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* start(id)
      yield* runUntil(Effect.map(podRows(id), (pods) => pods.some((pod) => pod.pod_id !== null)))
      yield* advanceBy(60)
      yield* cancel(id)
      yield* assertStoppedWithinOnePoll(id)
    }).pipe(Effect.provide(ScenarioLive({ timings: { vllmReadyAfter: 600 } }))), 60_000)

  it.effect("while the simulation runs: stopped within one poll interval, the pod torn down", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* start(id)
      yield* runUntil(Effect.map(jobRow(id), (row) => row.status === "RUNNING"))
      yield* cancel(id)
      yield* assertStoppedWithinOnePoll(id)
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "CANCELLED"])
    }).pipe(Effect.provide(ScenarioLive())), 60_000)

  it.effect("stopped from outside while the simulation runs, no interrupt reaching the runner: the run watcher stops it within one poll interval", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* start(id)
      yield* runUntil(Effect.map(jobRow(id), (row) => row.status === "RUNNING"))
      // What the stale-job detector or an API whose interrupt was lost leaves: the row terminal, the workflow running.
      assert.isTrue(yield* JobJournal.use((journal) => journal.transition(id, "CANCELLED", { reason: "stopped from outside" })))
      yield* assertStoppedWithinOnePoll(id)
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "CANCELLED"])
    }).pipe(Effect.provide(ScenarioLive())), 60_000)

  it.effect("while the report waits out a back-off: the job ends CANCELLED, the pod long gone", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* start(id)
      yield* runUntil(Effect.map(jobRow(id), (row) => row.status === "REPORTING"))
      yield* advanceBy(40)
      yield* cancel(id)
      yield* advanceBy(3000)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "CANCELLED")
      assert.isNull(row.error_message, "the report retries stopped: nothing overwrote the cancel")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ reportWriter: flakyReports }))), 60_000)
})
