import { assert, layer } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Option, Ref, Result } from "effect"
import { WorkflowInstance } from "effect/workflow/WorkflowEngine"
import { FakePods } from "../../services/fake-pods.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { provisionPod } from "../../src/lifecycle/activities/provision.ts"
import { RunWatcherLive } from "../../src/lifecycle/run-watcher.ts"
import { SimulationWorkflow } from "../../src/lifecycle/workflows.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import {
  advanceBy,
  advanceUntil,
  assertPodInvariants,
  insertPendingJob,
  jobRow,
  maxConcurrentPods,
  podLedger,
  podRows,
  runJob,
  ScenarioLive,
  statusHistory
} from "../support/scenario.ts"

layer(TestDatabaseLive)("lifecycle: getting a pod", (it) => {
  it.effect("stock-out: the first GPU types have no capacity, a fallback type runs the job", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      const ledger = yield* (yield* FakePods).ledger
      assert.deepStrictEqual(ledger.filter((e) => e.op === "create-refused").map((e) => e.gpu_type), ["NVIDIA L40S", "NVIDIA H100 80GB HBM3"])
      const pods = yield* podRows(id)
      assert.deepStrictEqual(pods.map((pod) => pod.gpu_type), ["NVIDIA H100 PCIe"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["stockout"] }))), 60_000)

  it.effect("readiness timeout: pods that never run are terminated after 10 minutes each; after 3 new pods the job fails", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^pod_not_ready: pod \S+ did not become ready after 600s/)
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.termination_reason), Array(4).fill("readiness_timeout"))
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ timings: { readyAfter: 100_000 } }))), 60_000)

  it.effect("bad host once: the unhealthy pod is swapped for a fresh one and the job completes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      const pods = yield* podRows(id)
      assert.deepStrictEqual(pods.map((pod) => [pod.name.replace(/^fishcloud-sim-j\d+-/, ""), pod.termination_reason]), [["a1", "bad_host"], ["a2", "completed"]])
      assert.strictEqual(yield* maxConcurrentPods, 1, "the bad pod is gone before the next one is requested")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["bad-host"] }))), 60_000)

  it.effect("bad host twice: the second unhealthy pod fails the job after 15 minutes of waiting", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^bad_host: pod \S+ not healthy after 900s/)
      assert.lengthOf(yield* podRows(id), 2)
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["bad-host"], faultyPods: 2 }))), 60_000)

  it.effect("a fatal vLLM marker fails the health wait fast and swaps the pod", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      const pods = yield* podRows(id)
      assert.deepStrictEqual(pods.map((pod) => pod.termination_reason), ["bad_host", "completed"])
      const ledger = yield* (yield* FakePods).ledger
      const first = ledger.filter((entry) => entry.pod_id === ledger[0]!.pod_id)
      assert.isBelow(first[1]!.at - first[0]!.at, 120_000, "found by the log scan within a minute or two, not after 15")
      yield* assertPodInvariants
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "REPORTING", "COMPLETED"])
    }).pipe(Effect.provide(ScenarioLive({ faults: ["vllm-fatal"] }))), 60_000)

})

/** The provision step of a job's first pod, run alone (as the engine runs an activity), with the pod's 10 minutes. */
const provisionStep = (id: JobId) =>
  Effect.gen(function*() {
    const facts = Option.getOrThrow(yield* JobJournal.use((journal) => journal.loadFacts(id)))
    const readyBy = { at: (yield* Clock.currentTimeMillis) + 600_000, seconds: 600 }
    return provisionPod({ id, tier: facts.tier, routing: facts.routing }, 1, readyBy).execute.pipe(
      Effect.provideService(WorkflowInstance, WorkflowInstance.initial(SimulationWorkflow, `provision-${id}`)),
      Effect.scoped,
      Effect.result
    )
  })

/** Runs `step` in the background until it ends; its result, and the simulated seconds it took. */
const runToEnd = <A, R>(step: Effect.Effect<A, never, R>) =>
  Effect.gen(function*() {
    const result = yield* Ref.make(Option.none<A>())
    yield* Effect.forkChild(Effect.flatMap(step, (value) => Ref.set(result, Option.some(value))))
    const seconds = yield* advanceUntil(Effect.map(Ref.get(result), Option.isSome))
    return { result: Option.getOrThrow(yield* Ref.get(result)), seconds }
  })

layer(TestDatabaseLive)("lifecycle: a step run again (a runner shutting down or handing the job over)", (it) => {
  it.effect("interrupted while its pod starts, it leaves the pod up; the re-run adopts it", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      const provision = yield* provisionStep(id)
      const requested = Effect.map(podRows(id), (pods) => pods.some((pod) => pod.pod_id !== null))
      const first = yield* Effect.forkChild(provision)
      yield* advanceUntil(requested)
      yield* Fiber.interrupt(first)
      assert.deepStrictEqual((yield* podLedger).terminated, [], "an interruption is not a cancel: the starting pod is not terminated")

      const { result } = yield* runToEnd(provision)
      const { created, live } = yield* podLedger
      assert.lengthOf(created, 1, "no second pod")
      assert.strictEqual(Result.getOrThrow(result).pod_id, created[0])
      assert.deepStrictEqual(live.map((pod) => pod.id), created)
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.terminated), [false])
    }).pipe(Effect.provide(ScenarioLive())), 60_000)

  it.effect("re-run 400 s into the wait for a pod that never gets ready, it waits only what is left of the 10 minutes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      const provision = yield* provisionStep(id)
      const first = yield* Effect.forkChild(provision)
      yield* advanceBy(400)
      yield* Fiber.interrupt(first)

      const { result, seconds } = yield* runToEnd(provision)
      assert.isTrue(Result.isFailure(result))
      assert.match(Result.isFailure(result) ? result.failure.message : "", /^pod_not_ready: pod \S+ did not become ready after 600s/)
      assert.isBelow(seconds, 210, "the re-run gave up when the pod's 600 s were over, not 600 s after it started")
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.termination_reason), ["readiness_timeout"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["never-ready"] }))), 60_000)

  it.effect("a run watcher restarted every 5 minutes (a runner handing its jobs over) still finds a slow pod slow: the pod's progress is kept", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* SimulationWorkflow.execute({ job_id: id }, { discard: true })
      const reasons = Effect.map(podRows(id), (pods) => pods.map((pod) => pod.termination_reason))
      // A slow round takes 270 s: 4 rounds (the least the slow-pod rate is measured over) never fit in one watcher's life.
      for (let handovers = 0; handovers < 12 && !(yield* reasons).includes("slow_pod"); handovers++) {
        yield* Effect.scoped(Effect.andThen(Layer.build(RunWatcherLive), advanceBy(300)))
      }
      assert.deepStrictEqual((yield* reasons)[0], "slow_pod", "found slow within an hour of handovers")
    }).pipe(Effect.provide(ScenarioLive({ faults: ["slow-pod"], runWatcher: false }))), 60_000)
})
