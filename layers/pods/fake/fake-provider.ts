/**
 * The fake GPU provider (tests and `POD_PROVIDER=fake` rehearsals). It behaves like a real one where the lifecycle
 * can tell: pods take time to start, GPU types can be out of stock, terminate is idempotent, every pod keeps the
 * environment it was created with (so its fake worker asks for the pod's POD_WORKER_SECRET), and every call lands in
 * a ledger so a test can prove each pod was terminated exactly once.
 */
import * as Crypto from "node:crypto"
import { Clock, Effect, Option, Redacted } from "effect"
import { type Pod, PodProvider, PodProviderError, type PodRequest } from "../../../services/pod-provider.ts"
import { gpuCandidates } from "../../../src/domain/pods.ts"
import type { FakePodRecord } from "../../../services/fake-pods.ts"
import type { FakeChange, FakePodStore } from "./fake-store.ts"
import { type FakeWorld, jobFault, meets, podState } from "./fake-pod-timeline.ts"
import { jobIdOfPodName } from "../../../src/domain/pods.ts"

/** With the `terminate-fails` fault, this many terminate calls are refused. */
const refusedTerminates = 12

/** With the `stockout` fault, this many of the first GPU candidates have no capacity. */
const outOfStockCandidates = 2

const hourlyPrice = (gpuType: string) => (gpuType.includes("H100") ? 2.69 : gpuType.includes("A100") ? 1.64 : 0.86)

const workerScheme = "fake://"

const fakeWorkerUrl = (podId: string) => `${workerScheme}${podId}`

/** The pod id in a fake worker URL. */
export const podIdOfWorkerUrl = (url: string) => (url.startsWith(workerScheme) ? url.slice(workerScheme.length) : undefined)

/** How the fake keeps a secret: a digest that can be compared with what a caller sends, never the secret itself. */
export const fakeSecretDigest = (secret: string) => `sha256:${Crypto.createHash("sha256").update(secret, "utf8").digest("hex")}`

/** The request's environment as the fake records it: plain values as they are, secrets as their digest. */
const recordedEnv = (env: PodRequest["env"]): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([name, value]) => [name, Redacted.isRedacted(value) ? fakeSecretDigest(Redacted.value(value)) : value]))

const toPod = (record: FakePodRecord, now: number, world: FakeWorld): Pod => {
  const state = podState(record, now, world)
  return {
    id: record.id,
    name: record.name,
    gpu_type: record.gpu_type,
    cost_per_hour: record.cost_per_hour,
    state,
    worker_url: state === "running" ? fakeWorkerUrl(record.id) : null
  }
}

export const makeFakeProvider = (store: FakePodStore, world: FakeWorld) =>
  PodProvider.of({
    name: "fake",
    create: (request) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const candidates = gpuCandidates(request.gpuType)
        const created = yield* store.update((view) => {
          const refusalsOf = (gpus: ReadonlyArray<string>) =>
            gpus.map((gpu): FakeChange => ({ _tag: "Call", entry: { op: "create-refused", pod_id: null, name: request.name, gpu_type: gpu, at: now } }))
          const totalStockout = (world.faults.has("total-stockout") && view.refusedOutright.size < (world.faultyPods ?? 1)) ||
            jobFault(request.name, world) === "total-stockout"
          if (totalStockout) return [undefined, refusalsOf(candidates)] as const
          const index = view.pods.size + 1
          const refused = meets({ name: request.name, index }, "stockout", world) ? candidates.slice(0, outOfStockCandidates) : []
          const gpuType = candidates.find((candidate) => !refused.includes(candidate))!
          const env = recordedEnv(request.env)
          const record: FakePodRecord = {
            id: `fake-${index}-${now.toString(36)}`,
            name: request.name,
            index,
            gpu_type: gpuType,
            cost_per_hour: hourlyPrice(gpuType),
            created_at: now,
            terminated_at: null,
            submitted_at: null,
            max_rounds: Number(env["MAX_ROUNDS"] ?? "15"),
            job_key: null,
            artifacts_uploaded: false,
            env
          }
          const changes: ReadonlyArray<FakeChange> = [
            ...refusalsOf(refused),
            { _tag: "Call", entry: { op: "create", pod_id: record.id, name: request.name, gpu_type: gpuType, at: now } },
            { _tag: "Pod", pod: record }
          ]
          return [toPod(record, now, world), changes] as const
        })
        if (created === undefined) {
          return yield* new PodProviderError({ reason: "no_capacity", message: `no capacity for any of ${candidates.join(", ")}` })
        }
        return created
      }),
    get: (podId) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const view = yield* store.read
        return Option.map(Option.fromNullishOr(view.pods.get(podId)), (record) => toPod(record, now, world))
      }),
    listByPrefix: (prefix) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const view = yield* store.read
        const live: Array<Pod> = []
        for (const pod of view.pods.values()) {
          if (pod.name.startsWith(prefix) && pod.terminated_at === null) live.push(toPod(pod, now, world))
        }
        return live
      }),
    terminate: (podId) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const refused = yield* store.update((view) => {
          const record = view.pods.get(podId)
          const name = record?.name ?? ""
          // The process's fault refuses the first calls of the whole rehearsal, a job's drawn fault the first for its pods.
          const refuse = (world.faults.has("terminate-fails") && view.terminateRefusals < refusedTerminates) ||
            (jobFault(name, world) === "terminate-fails" &&
              (view.terminateRefusalsByJob.get(jobIdOfPodName(name)) ?? 0) < refusedTerminates)
          if (refuse) {
            return [true, [{ _tag: "Call", entry: { op: "terminate-refused", pod_id: podId, name, gpu_type: null, at: now } }]] as const
          }
          const live = record !== undefined && record.terminated_at === null
          const call: FakeChange = {
            _tag: "Call",
            entry: { op: live ? "terminate" : "terminate-missing", pod_id: podId, name, gpu_type: record?.gpu_type ?? null, at: now }
          }
          return [false, live ? [call, { _tag: "Pod", pod: { ...record, terminated_at: now } }] : [call]] as const
        })
        if (refused) {
          return yield* new PodProviderError({ reason: "transient", message: `fake: terminate of ${podId} refused (terminate-fails)` })
        }
      })
  })
