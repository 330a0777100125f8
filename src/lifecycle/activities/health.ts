/**
 * Waiting for the pod's worker to be healthy: `GET /health` until 200 (its LLM backend serves), scanning the logs
 * every few polls for the fatal vLLM markers so a broken GPU fails fast, until `healthyBy` (fixed before the first
 * try). Any failure here is a bad host: the workflow swaps the pod once.
 */
import { Effect, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { PodWorkerClient } from "../../../services/pod-worker-client.ts"
import type { JobId } from "../../domain/ids.ts"
import { scaled } from "../../domain/time-scale.ts"
import { policies } from "../policies.ts"
import { fatalVllmMarker } from "../poll-signals.ts"
import { type Deadline, passed } from "./deadline.ts"
import { ensureLive, JobStopped } from "./stop.ts"
import { workerEndpoint } from "../worker-endpoint.ts"

const HealthOutcome = Schema.Union([
  Schema.TaggedStruct("Healthy", {}),
  Schema.TaggedStruct("BadHost", { message: Schema.String })
])
type HealthOutcome = typeof HealthOutcome.Type

export const waitHealthy = (
  jobId: JobId,
  pod: { readonly pod_id: string; readonly worker_url: string },
  attempt: number,
  healthyBy: Deadline
) =>
  activity({
    name: `wait-healthy-a${attempt}`,
    success: HealthOutcome,
    error: JobStopped,
    execute: Effect.gen(function*() {
      const worker = yield* PodWorkerClient
      const endpoint = yield* workerEndpoint(jobId, pod)
      const every = yield* scaled(policies.health.every)
      for (let poll = 1; ; poll++) {
        yield* ensureLive(jobId)
        const healthy = yield* worker.health(endpoint).pipe(
          Effect.map((reply) => reply.ready),
          Effect.orElseSucceed(() => false)
        )
        if (healthy) return { _tag: "Healthy" as const }
        if (poll % policies.health.logScanEveryPolls === 0) {
          const lines = yield* worker.logs(endpoint, { tail: 100, source: "all" }).pipe(
            Effect.map((reply) => reply.lines),
            Effect.orElseSucceed((): ReadonlyArray<string> => [])
          )
          const marker = fatalVllmMarker(lines)
          if (marker !== undefined) return { _tag: "BadHost" as const, message: `vLLM failed to start on pod ${pod.pod_id}: ${marker}` }
        }
        if (yield* passed(healthyBy, every)) {
          return { _tag: "BadHost" as const, message: `pod ${pod.pod_id} not healthy after ${healthyBy.seconds}s` }
        }
        yield* Effect.sleep(every)
      }
    }).pipe(
      step("waitHealthy", { "job.id": jobId, "pod.id": pod.pod_id, attempt })
    )
  })
