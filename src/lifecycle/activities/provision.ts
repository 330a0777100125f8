/**
 * Provisioning a pod, idempotently: the pod name is deterministic per job and attempt and is looked up before
 * creating (the provider's create is not idempotent); the `pods` row is written before the create call, with the
 * worker secret the pod is created with, and gets the pod id as soon as the provider returns one. A pod adopted after
 * a crash keeps its row's secret. Then wait for the pod to run; a pod that never becomes ready is terminated here.
 * An interrupted wait leaves the pod alone: a runner shutting down or handing the job over is not a cancel (the
 * step re-runs elsewhere and adopts the pod by its name), and a cancel's teardown is the workflow's `release-pods`. The result names the pod and its URL, never its secret: it is journaled in plain
 * JSON, and the steps that talk to the worker read the secret from the row (`worker-endpoint.ts`).
 */
import { Effect, Option, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { type Pod, PodProvider } from "../../../services/pod-provider.ts"
import type { JobId } from "../../domain/ids.ts"
import type { ModelRouting } from "../../domain/job.ts"
import type { Tier } from "../../domain/tier.ts"
import { newWorkerSecret, podRequest } from "../pod-request.ts"
import { podName } from "../../domain/pods.ts"
import { backoff, scaled } from "../../domain/time-scale.ts"
import { policies } from "../policies.ts"
import { type Deadline, passed } from "./deadline.ts"
import { ensureLive, JobStopped } from "./stop.ts"
import { terminatePod } from "./terminate.ts"
import { jobProvisioning, podCreated, podNotCreated, podReady } from "../job-log.ts"
import { JobJournal } from "../../../services/job-journal.ts"

const ProvisionedPod = Schema.Struct({ pod_id: Schema.String, worker_url: Schema.String })
type ProvisionedPod = typeof ProvisionedPod.Type

/**
 * Why no pod came up: `no_capacity` (no GPU candidate had capacity) and `not_ready` (the pod never became ready) may
 * pass with a new pod, later; `refused` (payment, permissions, a bad request) will not. Optional because executions
 * journaled before it existed carry none (they count as `refused`).
 */
const ProvisionFailure = Schema.Literals(["no_capacity", "not_ready", "refused"])
type ProvisionFailure = typeof ProvisionFailure.Type

class ProvisionFailed extends Schema.TaggedError<ProvisionFailed>()("ProvisionFailed", {
  message: Schema.String,
  kind: Schema.optionalKey(ProvisionFailure)
}) {}

const usable = (pod: Pod) => pod.state === "provisioning" || pod.state === "running"

/** The pod this attempt already has (after a crash), if the provider still runs it. */
const existingPod = Effect.fn("Provision.existingPod")(function*(jobId: JobId, name: string) {
  const provider = yield* PodProvider
  const row = yield* JobJournal.use((journal) => journal.podRow(jobId, name))
  if (Option.isSome(row) && row.value.terminated) return Option.none<Pod>()
  if (Option.isSome(row) && row.value.pod_id !== null) {
    const pod = yield* provider.get(row.value.pod_id)
    if (Option.isSome(pod) && usable(pod.value)) return pod
    // The pod this attempt had is gone (stopped while no runner watched): close its row, so the replacement gets
    // a row of its own and the finalizer knows about it.
    yield* terminatePod(jobId, row.value.pod_id, "lost")
  }
  const named = yield* provider.listByPrefix(name)
  return Option.fromNullishOr(named.find((pod) => pod.name === name && usable(pod)))
})

const retryable = (error: { readonly reason: string }) => error.reason === "transient" || error.reason === "rate_limited"

export const provisionPod = (
  job: { readonly id: JobId; readonly tier: Tier; readonly routing: ModelRouting },
  attempt: number,
  readyBy: Deadline
) =>
  activity({
    name: `provision-pod-a${attempt}`,
    success: ProvisionedPod,
    error: Schema.Union([ProvisionFailed, JobStopped]),
    execute: Effect.gen(function*() {
      const provider = yield* PodProvider
      const journal = yield* JobJournal
      yield* ensureLive(job.id)
      if (yield* journal.transition(job.id, "PROVISIONING")) yield* jobProvisioning(job.id, job.routing.gpu_type)
      yield* journal.setPipelineStage(job.id, 0)
      const name = podName(job.id, attempt)

      const schedule = yield* backoff(policies.providerRetry)
      const create = Effect.gen(function*() {
        yield* journal.recordPodRequested(job.id, provider.name, name, job.routing.gpu_type)
        const secret = yield* journal.recordPodWorkerSecret(job.id, name, yield* newWorkerSecret)
        return yield* provider.create(podRequest(job.id, attempt, job.tier, job.routing, secret)).pipe(
          Effect.retry({ schedule, while: retryable }),
          Effect.tapError((error) =>
            Effect.andThen(
              journal.recordPodAbandoned(job.id, name, `provision_failed: ${error.reason}`),
              podNotCreated(job.id, name, `provision_failed: ${error.reason}`)
            )
          )
        )
      })
      const pod = yield* existingPod(job.id, name).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.tap(create, (created) => podCreated(job.id, created, false)),
          onSome: (found) => Effect.as(podCreated(job.id, found, true), found)
        })),
        Effect.catchTag("PodProviderError", (error) =>
          Effect.fail(
            error.reason === "no_capacity"
              ? new ProvisionFailed({ kind: "no_capacity", message: `no_gpu_capacity: ${error.message}` })
              : new ProvisionFailed({ kind: "refused", message: `provision_failed: ${error.message}` })
          ))
      )
      yield* journal.recordPodCreated(job.id, name, pod)
      return yield* waitUntilRunning(job.id, pod, readyBy)
    }).pipe(
      step("provisionPod", { "job.id": job.id, "job.tier": job.tier, attempt, "pod.gpu_type": job.routing.gpu_type })
    )
  })

/**
 * Polls the provider until the pod runs; past `readyBy` the pod is terminated, never leaked. The deadline was fixed
 * before the first try, so a step re-run after a runner handover waits only what is left of it.
 */
const waitUntilRunning = Effect.fn("Provision.waitUntilRunning")(function*(jobId: JobId, pod: Pod, readyBy: Deadline) {
  const provider = yield* PodProvider
  const every = yield* scaled(policies.readiness.every)
  for (;;) {
    yield* ensureLive(jobId)
    const current = yield* provider.get(pod.id).pipe(Effect.catch(() => Effect.succeed(Option.none<Pod>())))
    if (Option.isSome(current) && current.value.state !== "provisioning") {
      if (current.value.state !== "running" || current.value.worker_url === null) break
      yield* JobJournal.use((journal) => journal.recordPodReady(jobId, pod.id))
      yield* podReady(jobId, pod.name)
      return { pod_id: pod.id, worker_url: current.value.worker_url }
    }
    if (yield* passed(readyBy, every)) break
    yield* Effect.sleep(every)
  }
  yield* terminatePod(jobId, pod.id, "readiness_timeout")
  return yield* new ProvisionFailed({ kind: "not_ready", message: `pod_not_ready: pod ${pod.id} did not become ready after ${readyBy.seconds}s` })
})
