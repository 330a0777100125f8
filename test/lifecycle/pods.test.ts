import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { FakePods } from "../../services/fake-pods.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { assertPodInvariants, insertPendingJob, jobRow, ScenarioLive, maxConcurrentPods, podRows, runJob, statusHistory } from "../support/scenario.ts"

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
