/**
 * The fake pod worker: the protocol in `docs/lifecycle.md` ("The pod worker protocol"), answered from the pod's
 * timeline. Like a real worker it answers every call but `/health` with a 401 unless the caller sends the pod's
 * POD_WORKER_SECRET (the one the fake provider recorded at create), so a lifecycle that loses the secret fails its
 * scenarios. On completion it puts the artifacts straight into the object store (a real worker PUTs them to
 * presigned URLs).
 */
import { Clock, Effect, Redacted } from "effect"
import { ObjectStore } from "../../../services/object-store.ts"
import { PodWorkerClient, PodWorkerError, type WorkerEndpoint } from "../../../services/pod-worker-client.ts"
import { simDataKey } from "../../../src/domain/artifacts.ts"
import type { JobId } from "../../../src/domain/ids.ts"
import { jobIdOfPodName } from "../../../src/domain/pods.ts"
import { fakeArtifacts } from "./fake-artifacts.ts"
import { fakeSecretDigest, podIdOfWorkerUrl } from "./fake-provider.ts"
import type { FakePodRecord } from "../../../services/fake-pods.ts"
import type { FakePodStore } from "./fake-store.ts"
import { type FakeWorld, meets, pipelineLines, podState, progress, unreachable, vllmLines, vllmReady } from "./fake-pod-timeline.ts"

const unreachableError = (url: string) => new PodWorkerError({ reason: "unreachable", message: `no answer from ${url}` })

const unauthorized = "Unauthorized: send Authorization: Bearer <the pod's worker secret>"

/**
 * Whether the caller sent the secret the pod was created with. A pod recorded without one (before pods had secrets)
 * asks for none, like the worker it ran.
 */
const authorized = (pod: FakePodRecord, worker: WorkerEndpoint) => {
  const expected = pod.env?.["POD_WORKER_SECRET"]
  return expected === undefined || (worker.secret !== undefined && fakeSecretDigest(Redacted.value(worker.secret)) === expected)
}

export const makeFakeWorker = (store: FakePodStore, world: FakeWorld, objects: ObjectStore["Service"]) => {
  /** The pod behind a `fake://id` URL, if it runs and answers at this moment, with whether the caller may talk to it. */
  const answering = (worker: WorkerEndpoint) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const view = yield* store.read
      const id = podIdOfWorkerUrl(worker.url)
      const pod = id === undefined ? undefined : view.pods.get(id)
      if (pod === undefined || podState(pod, now, world) !== "running" || unreachable(pod, now, world)) {
        return yield* unreachableError(worker.url)
      }
      return { pod, now, authorized: authorized(pod, worker) }
    })

  /** A pod that answers and accepted the caller's secret; a 401 otherwise, as the real worker's routes answer. */
  const reach = (worker: WorkerEndpoint) =>
    Effect.flatMap(answering(worker), (reached) =>
      reached.authorized
        ? Effect.succeed(reached)
        : Effect.fail(new PodWorkerError({ reason: "status", status: 401, message: `${worker.url} answered 401` })))

  const updatePod = (id: string, f: (pod: FakePodRecord) => FakePodRecord) =>
    store.update((view) => {
      const pod = view.pods.get(id)
      return [undefined, pod === undefined ? [] : [{ _tag: "Pod" as const, pod: f(pod) }]] as const
    })

  const uploadArtifacts = (pod: FakePodRecord) =>
    Effect.gen(function*() {
      const jobId = jobIdOfPodName(pod.name)
      if (jobId === undefined || pod.artifacts_uploaded || meets(pod, "no-artifacts", world)) return
      const files = fakeArtifacts(pod.max_rounds)
      for (const [file, content] of Object.entries(files)) {
        yield* objects.put(simDataKey(jobId as JobId, file), new TextEncoder().encode(JSON.stringify(content)), "application/json")
      }
      yield* updatePod(pod.id, (current) => ({ ...current, artifacts_uploaded: true }))
    }).pipe(Effect.mapError((error) => new PodWorkerError({ reason: "status", status: 500, message: error.message })))

  return PodWorkerClient.of({
    // `/health` is open on a real worker too.
    health: (worker) =>
      Effect.map(answering(worker), ({ pod, now }) => {
        const ready = vllmReady(pod, now, world)
        return { status: ready ? "ok" as const : "waiting_for_vllm" as const, vllm_ready: ready, job_status: progress(pod, now, world).status, ready }
      }),
    submit: (worker) =>
      Effect.gen(function*() {
        const { pod, now, authorized } = yield* answering(worker)
        // What the HTTP client makes of a real worker's 401 to `POST /job`.
        if (!authorized) return { _tag: "Rejected" as const, reason: `401: ${unauthorized}` }
        if (progress(pod, now, world).status === "running") return { _tag: "Accepted" as const }
        yield* updatePod(pod.id, (current) => ({ ...current, submitted_at: now, artifacts_uploaded: false }))
        return { _tag: "Accepted" as const }
      }),
    status: (worker) =>
      Effect.gen(function*() {
        const { pod, now } = yield* reach(worker)
        const state = progress(pod, now, world)
        if (state.status === "failed") return { status: "failed" as const, error: "RuntimeError: simulated worker failure in round 2\nTraceback follows" }
        if (state.status !== "completed") return { status: state.status }
        yield* uploadArtifacts(pod)
        const chatLog = fakeArtifacts(pod.max_rounds)["chat_log.json"]
        return {
          status: "completed" as const,
          sim_data_uploaded: !meets(pod, "no-artifacts", world),
          chat_log: JSON.stringify(chatLog),
          graph_data: JSON.stringify({ nodes: [], edges: [] }),
          structured: "{}"
        }
      }),
    logs: (worker, { tail, source }) =>
      Effect.map(reach(worker), ({ pod, now }) => {
        const vllm = source === "pipeline" ? [] : vllmLines(pod, now, world).map((line) => `[vllm] ${line}`)
        const pipeline = source === "vllm" ? [] : pipelineLines(pod, now, world).map((line) => `[pipeline] ${line}`)
        const lines = [...vllm, ...pipeline]
        return { lines: lines.slice(-tail), total_lines: lines.length, job_status: progress(pod, now, world).status }
      }),
    partialChat: (worker, tail) =>
      Effect.map(reach(worker), ({ pod, now }) => {
        const rounds = progress(pod, now, world).round
        return rounds === 0 ? [] : fakeArtifacts(rounds)["chat_log.json"] as ReadonlyArray<unknown>
      }).pipe(Effect.map((messages) => messages.slice(-tail)))
  })
}
