import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Option, Ref } from "effect"
import { WorkflowInstance } from "effect/workflow/WorkflowEngine"
import { FakePods } from "../../services/fake-pods.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { provisionPod } from "../../src/lifecycle/activities/provision.ts"
import { SimulationWorkflow } from "../../src/lifecycle/workflows.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import {
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

  it.effect("a provision step interrupted while its pod starts (a runner shutting down or handing the job over) leaves the pod up; the re-run adopts it", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      const facts = Option.getOrThrow(yield* JobJournal.use((journal) => journal.loadFacts(id)))
      const provision = provisionPod({ id, tier: facts.tier, routing: facts.routing }, 1).execute.pipe(
        Effect.provideService(WorkflowInstance, WorkflowInstance.initial(SimulationWorkflow, `provision-${id}`)),
        Effect.scoped
      )
      const requested = Effect.map(podRows(id), (pods) => pods.some((pod) => pod.pod_id !== null))
      const first = yield* Effect.forkChild(provision)
      yield* advanceUntil(requested)
      yield* Fiber.interrupt(first)
      assert.deepStrictEqual((yield* podLedger).terminated, [], "an interruption is not a cancel: the starting pod is not terminated")

      const provisioned = yield* Ref.make(Option.none<{ readonly pod_id: string }>())
      yield* Effect.forkChild(Effect.flatMap(provision, (pod) => Ref.set(provisioned, Option.some(pod))))
      yield* advanceUntil(Effect.map(Ref.get(provisioned), Option.isSome))
      const { created, live } = yield* podLedger
      assert.lengthOf(created, 1, "no second pod")
      assert.strictEqual(Option.getOrThrow(yield* Ref.get(provisioned)).pod_id, created[0])
      assert.deepStrictEqual(live.map((pod) => pod.id), created)
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.terminated), [false])
    }).pipe(Effect.provide(ScenarioLive())), 60_000)
})
