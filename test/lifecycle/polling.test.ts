import { assert, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { FakePods } from "../../services/fake-pods.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { SimulationWorkflow } from "../../src/lifecycle/workflows.ts"
import { advanceUntil, assertPodInvariants, insertPendingJob, jobRow, ScenarioLive, maxConcurrentPods, podRows, runJob, statusHistory } from "../support/scenario.ts"

const reasons = (id: Parameters<typeof podRows>[0]) => Effect.map(podRows(id), (pods) => pods.map((pod) => pod.termination_reason))

layer(TestDatabaseLive)("lifecycle: running the simulation", (it) => {
  it.effect("while its pod runs the simulation a job's workflow is suspended (no fiber, no timer); the run watcher's outcome resumes it", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* SimulationWorkflow.execute({ job_id: id }, { discard: true })
      const executionId = yield* SimulationWorkflow.executionId({ job_id: id })
      yield* advanceUntil(Effect.map(jobRow(id), (row) => row.status === "RUNNING" && row.pipeline_stage !== null))
      const waiting = yield* SimulationWorkflow.poll(executionId)
      assert.isTrue(Option.isSome(waiting) && waiting.value._tag === "Suspended", "suspended while the pod works")
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive())), 60_000)

  it.effect("six jobs at once: one watcher polls every run, each completes on its one pod", () =>
    Effect.gen(function*() {
      const ids = yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => insertPendingJob())
      yield* Effect.forEach(ids, (id) => SimulationWorkflow.execute({ job_id: id }, { discard: true }))
      yield* advanceUntil(Effect.map(Effect.forEach(ids, jobRow), (rows) => rows.every((row) => row.status === "COMPLETED")))
      for (const id of ids) assert.deepStrictEqual(yield* reasons(id), ["completed"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive())), 60_000)

  it.effect("unreachable once: 30 failed polls, a 30 s wait, then the SAME pod answers and the job completes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      assert.deepStrictEqual(yield* reasons(id), ["completed"], "no second pod")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["unreachable"] }))), 60_000)

  it.effect("unreachable for good: two same-pod retries, then the job fails with pod_unreachable", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^pod_unreachable: 30 consecutive \/status poll failures/)
      assert.deepStrictEqual(yield* reasons(id), ["job_failed"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["unreachable"], timings: { unreachableFor: 100_000 } }))), 60_000)

  it.effect("circuit breaker: failing LLM calls swap the pod once, the fresh pod completes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      assert.deepStrictEqual(yield* reasons(id), ["llm_circuit_broken", "completed"])
      assert.strictEqual(yield* maxConcurrentPods, 1)
      yield* assertPodInvariants
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "REPORTING", "COMPLETED"])
    }).pipe(Effect.provide(ScenarioLive({ faults: ["circuit-breaker"] }))), 60_000)

  it.effect("a second degraded pod fails the job (the swap budget is one)", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^llm_circuit_broken: /)
      assert.deepStrictEqual(yield* reasons(id), ["llm_circuit_broken", "job_failed"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["circuit-breaker"], faultyPods: 2 }))), 60_000)

  it.effect("slow pod: rounds below the tier's minimum rate swap the pod once", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      assert.deepStrictEqual(yield* reasons(id), ["slow_pod", "completed"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["slow-pod"] }))), 60_000)

  it.effect("stuck: no new round for 300 s fails a small job", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^Sim stuck: no round progress for \d+s at round 3 \(tier=small, threshold=300s\)/)
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["stuck"] }))), 60_000)

  it.effect("tier timeout: a small run that needs more than 2700 s fails", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.strictEqual(row.error_message, "Pipeline did not complete within 2700s")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ timings: { round: 195 } }))), 60_000)

  it.effect("a worker failure fails the job with the worker's first error line", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.strictEqual(row.error_message, "Worker pipeline failed: RuntimeError: simulated worker failure in round 2")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["worker-fail"] }))), 60_000)

  it.effect("missing artifacts: the worker says done but the store has nothing, so the job fails", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^sim_data_upload_failed: 10 of 10 artifacts missing/)
      assert.isFalse(row.sim_data_available)
      yield* assertPodInvariants
      assert.isAbove((yield* (yield* FakePods).ledger).length, 0)
    }).pipe(Effect.provide(ScenarioLive({ faults: ["no-artifacts"] }))), 60_000)
})
