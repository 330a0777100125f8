/**
 * The fake pod worker: the protocol in `docs/lifecycle.md` ("The pod worker protocol"), answered from the pod's
 * timeline. On completion it puts the artifacts straight into the object store (a real worker PUTs them to presigned
 * URLs).
 */
import { Clock, Effect } from "effect"
import { ObjectStore } from "../../../services/object-store.ts"
import { PodWorkerClient, PodWorkerError } from "../../../services/pod-worker-client.ts"
import { simDataKey } from "../../../src/domain/artifacts.ts"
import type { JobId } from "../../../src/domain/ids.ts"
import { jobIdOfPodName } from "../../../src/domain/pods.ts"
import { fakeArtifacts } from "./fake-artifacts.ts"
import { fakeWorkerUrl } from "./fake-provider.ts"
import type { FakePodRecord } from "../../../services/fake-pods.ts"
import type { FakePodStore } from "./fake-store.ts"
import { type FakeWorld, pipelineLines, podState, progress, unreachable, vllmLines, vllmReady } from "./fake-pod-timeline.ts"

const unreachableError = (url: string) => new PodWorkerError({ reason: "unreachable", message: `no answer from ${url}` })

export const makeFakeWorker = (store: FakePodStore, world: FakeWorld, objects: ObjectStore["Service"]) => {
  /** The pod behind a `fake://id` URL, if it runs and answers at this moment. */
  const reach = (url: string) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const state = yield* store.read
      const pod = state.pods.find((candidate) => fakeWorkerUrl(candidate.id) === url)
      if (pod === undefined || podState(pod, now, world) !== "running" || unreachable(pod, now, world)) {
        return yield* unreachableError(url)
      }
      return { pod, now }
    })

  const updatePod = (id: string, f: (pod: FakePodRecord) => FakePodRecord) =>
    store.update((state) => [undefined, { ...state, pods: state.pods.map((pod) => (pod.id === id ? f(pod) : pod)) }] as const)

  const uploadArtifacts = (pod: FakePodRecord) =>
    Effect.gen(function*() {
      const jobId = jobIdOfPodName(pod.name)
      if (jobId === undefined || pod.artifacts_uploaded || world.faults.has("no-artifacts")) return
      const files = fakeArtifacts(pod.max_rounds)
      for (const [file, content] of Object.entries(files)) {
        yield* objects.put(simDataKey(jobId as JobId, file), new TextEncoder().encode(JSON.stringify(content)), "application/json")
      }
      yield* updatePod(pod.id, (current) => ({ ...current, artifacts_uploaded: true }))
    }).pipe(Effect.mapError((error) => new PodWorkerError({ reason: "status", status: 500, message: error.message })))

  return PodWorkerClient.of({
    health: (url) =>
      Effect.map(reach(url), ({ pod, now }) => {
        const ready = vllmReady(pod, now, world)
        return { status: ready ? "ok" as const : "waiting_for_vllm" as const, vllm_ready: ready, job_status: progress(pod, now, world).status, ready }
      }),
    submit: (url) =>
      Effect.gen(function*() {
        const { pod, now } = yield* reach(url)
        if (progress(pod, now, world).status === "running") return { _tag: "Accepted" as const }
        yield* updatePod(pod.id, (current) => ({ ...current, submitted_at: now, artifacts_uploaded: false }))
        return { _tag: "Accepted" as const }
      }),
    status: (url) =>
      Effect.gen(function*() {
        const { pod, now } = yield* reach(url)
        const state = progress(pod, now, world)
        if (state.status === "failed") return { status: "failed" as const, error: "RuntimeError: simulated worker failure in round 2\nTraceback follows" }
        if (state.status !== "completed") return { status: state.status }
        yield* uploadArtifacts(pod)
        const chatLog = fakeArtifacts(pod.max_rounds)["chat_log.json"]
        return {
          status: "completed" as const,
          sim_data_uploaded: !world.faults.has("no-artifacts"),
          chat_log: JSON.stringify(chatLog),
          graph_data: JSON.stringify({ nodes: [], edges: [] }),
          structured: "{}"
        }
      }),
    logs: (url, { tail, source }) =>
      Effect.map(reach(url), ({ pod, now }) => {
        const vllm = source === "pipeline" ? [] : vllmLines(pod, now, world).map((line) => `[vllm] ${line}`)
        const pipeline = source === "vllm" ? [] : pipelineLines(pod, now, world).map((line) => `[pipeline] ${line}`)
        const lines = [...vllm, ...pipeline]
        return { lines: lines.slice(-tail), total_lines: lines.length, job_status: progress(pod, now, world).status }
      }),
    partialChat: (url, tail) =>
      Effect.map(reach(url), ({ pod, now }) => {
        const rounds = progress(pod, now, world).round
        return rounds === 0 ? [] : fakeArtifacts(rounds)["chat_log.json"] as ReadonlyArray<unknown>
      }).pipe(Effect.map((messages) => messages.slice(-tail)))
  })
}
