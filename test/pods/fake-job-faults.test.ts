/**
 * Rehearsal faults drawn per job (FAKE_POD_FAULT_SEED), as the chaos run uses them: every process draws the same
 * fault for the same job, the draws cover every fault, a first-pod fault spares the job's second pod, and a job's
 * `total-stockout` or `terminate-fails` refuses that job's calls only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { drawnFault, FakeFault } from "../../layers/pods/fake/fake-faults.ts"
import { meets } from "../../layers/pods/fake/fake-pod-timeline.ts"
import { makeFakeProvider } from "../../layers/pods/fake/fake-provider.ts"
import { memoryStore } from "../../layers/pods/fake/fake-store.ts"
import type { PodRequest } from "../../services/pod-provider.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { podName } from "../../src/domain/pods.ts"

const seed = 4242
const jobIds = Array.from({ length: 400 }, (_, i) => (i + 1) as JobId)
/** The first job (by id) that drew `fault` under `seed`. */
const jobThatDrew = (fault: FakeFault | undefined) => jobIds.find((id) => drawnFault(seed, id) === fault)!

const world = { faults: new Set<FakeFault>(), scale: 1, faultSeed: seed }

const request = (jobId: JobId, attempt: number): PodRequest => ({
  name: podName(jobId, attempt),
  gpuType: "NVIDIA A100 80GB PCIe",
  cloudType: "ALL",
  env: { MAX_ROUNDS: "15", POD_WORKER_SECRET: Redacted.make("s") }
})

describe("faults drawn per job", () => {
  it("the same seed and job draw the same fault; 400 jobs draw every fault, and no fault for about one in five", () => {
    const draws = jobIds.map((id) => drawnFault(seed, id))
    assert.deepStrictEqual(draws, jobIds.map((id) => drawnFault(seed, id)))
    for (const fault of FakeFault.literals) assert.include(draws, fault, `some job draws ${fault}`)
    const none = draws.filter((fault) => fault === undefined).length
    assert.isAbove(none, 40)
    assert.isBelow(none, 130)
    assert.notDeepEqual(draws, jobIds.map((id) => drawnFault(seed + 1, id)), "another seed, other draws")
  })

  it("a first-pod fault hits the job's first pod only; a job that drew nothing meets no fault", () => {
    const badHost = jobThatDrew("bad-host")
    assert.isTrue(meets({ name: podName(badHost, 1), index: 7 }, "bad-host", world))
    assert.isFalse(meets({ name: podName(badHost, 2), index: 8 }, "bad-host", world), "its replacement pod is fine")
    const stuck = jobThatDrew("stuck")
    assert.isTrue(meets({ name: podName(stuck, 2), index: 9 }, "stuck", world), "a fault of the run hits every pod of the job")
    const clean = jobThatDrew(undefined)
    for (const fault of FakeFault.literals) assert.isFalse(meets({ name: podName(clean, 1), index: 1 }, fault, world))
  })

  it.effect("total-stockout refuses the job's first pod only; terminate-fails refuses that job's terminate calls, not another's", () =>
    Effect.gen(function*() {
      const provider = makeFakeProvider(yield* memoryStore, world)
      const stockedOut = jobThatDrew("total-stockout")
      const refused = yield* Effect.flip(provider.create(request(stockedOut, 1)))
      assert.strictEqual(refused.reason, "no_capacity")
      const second = yield* provider.create(request(stockedOut, 2))
      assert.strictEqual(second.name, podName(stockedOut, 2))

      const failing = yield* provider.create(request(jobThatDrew("terminate-fails"), 1))
      const clean = yield* provider.create(request(jobThatDrew(undefined), 1))
      yield* provider.terminate(clean.id)
      for (let call = 1; call <= 12; call++) {
        const error = yield* Effect.flip(provider.terminate(failing.id))
        assert.strictEqual(error.reason, "transient", `call ${call} refused`)
      }
      yield* provider.terminate(failing.id)
    }))
})
