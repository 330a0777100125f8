/**
 * Starting a run on a pod: submit the job (idempotent: a re-run after a crash asks `/status` first and re-attaches to
 * a running or finished job instead of submitting again), then hand the run to the process's run watcher
 * (`../run-watcher.ts`) and return. The workflow then waits on `runOutcome`, which the watcher completes; while it
 * waits, the job holds no fiber, timer or workflow in memory.
 */
import { Duration, Effect, Option, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { PodWorkerClient, type WorkerEndpoint } from "../../../services/pod-worker-client.ts"
import { simDataFiles, simDataKey } from "../../domain/artifacts.ts"
import type { JobId } from "../../domain/ids.ts"
import type { ModelRouting } from "../../domain/job.ts"
import type { JobRequest, StatusReply } from "../../domain/pod-protocol.ts"
import type { Tier } from "../../domain/tier.ts"
import { scaled } from "../../domain/time-scale.ts"
import { policies } from "../policies.ts"
import { ensureLive, JobStopped } from "./stop.ts"
import { runName, RunOutcome } from "../run-outcome.ts"
import { RunWatcher } from "../run-watcher.ts"
import { workerEndpoint } from "../worker-endpoint.ts"
import { JobJournal } from "../../../services/job-journal.ts"

export interface RunJob {
  readonly id: JobId
  readonly tier: Tier
  readonly goal: string
  readonly forecast_days: number
  readonly routing: ModelRouting
}

/** What the pod is asked to run; upload URLs outlive the tier's longest run (real time: pods upload for real). */
const jobRequest = Effect.fn("Run.jobRequest")(function*(job: RunJob) {
  const store = yield* ObjectStore
  const timeout = yield* scaled(policies.tierTimeout[job.tier])
  const uploadTtl = Duration.sum(policies.tierTimeout[job.tier], policies.uploadUrlGrace)
  const urls = yield* Effect.forEach(simDataFiles, (file) =>
    Effect.map(store.presignPut(simDataKey(job.id, file), uploadTtl), (url) => [file, url] as const))
  const request: JobRequest = {
    seed_text: yield* JobJournal.use((journal) => journal.simulationSeed(job.id)),
    goal: job.goal,
    max_rounds: job.routing.max_rounds,
    forecast_days: job.forecast_days,
    target_agents: job.routing.target_agents,
    upload_urls: Object.fromEntries(urls),
    markets_config: yield* JobJournal.use((journal) => journal.loadMarkets(job.id)),
    timeout_seconds: Math.max(1, Math.ceil(Duration.toSeconds(timeout))),
    random_seed: job.id
  }
  return request
})

/**
 * Submits unless the pod already runs (or ran) this job; a 409 / "already running" counts as accepted. A worker that
 * refuses the pod's secret (401) will refuse it on every poll too: that fails the job at once rather than after the
 * unreachable budget.
 */
const enter = Effect.fn("Run.enter")(function*(job: RunJob, endpoint: WorkerEndpoint) {
  const worker = yield* PodWorkerClient
  const current = yield* worker.status(endpoint).pipe(
    Effect.map((reply) => reply.status as StatusReply["status"] | "unknown" | "unauthorized"),
    Effect.catchTag("PodWorkerError", (error) => Effect.succeed(error.status === 401 ? "unauthorized" as const : "unknown" as const))
  )
  if (current === "unauthorized") {
    return Option.some<RunOutcome>({ _tag: "Failed", message: "worker_unauthorized: the pod's worker refused the secret it was created with (401)" })
  }
  if (current === "running" || current === "completed" || current === "unknown") return Option.none<RunOutcome>()
  const outcome = yield* worker.submit(endpoint, yield* jobRequest(job)).pipe(Effect.result)
  if (outcome._tag === "Failure") {
    return Option.some<RunOutcome>({ _tag: "RetrySamePod", message: `pod_unreachable: submit failed: ${outcome.failure.message}` })
  }
  return outcome.success._tag === "Rejected"
    ? Option.some<RunOutcome>({ _tag: "Failed", message: `Worker rejected job: ${outcome.success.reason}` })
    : Option.none<RunOutcome>()
})

/** The run was handed to the watcher: the workflow waits on `runOutcome(runName(attempt, retry))`. */
const Watched = Schema.TaggedStruct("Watched", {})

export const runSimulation = (job: RunJob, pod: { readonly pod_id: string; readonly worker_url: string }, attempt: number, retry: number) =>
  activity({
    name: `run-simulation-a${attempt}-r${retry}`,
    // `RunOutcome` alone in journals written before the watcher: those results still decode.
    success: Schema.Union([RunOutcome, Watched]),
    error: JobStopped,
    execute: Effect.gen(function*() {
      yield* ensureLive(job.id)
      const endpoint = yield* workerEndpoint(job.id, pod)
      const early = yield* enter(job, endpoint)
      if (Option.isSome(early)) return early.value
      const run = runName(attempt, retry)
      const journal = yield* JobJournal
      yield* journal.watchRun(job.id, pod, run)
      const progress = yield* journal.podProgress(job.id, pod.pod_id)
      yield* RunWatcher.use((watcher) =>
        watcher.watch({
          job_id: job.id,
          pod_id: pod.pod_id,
          worker_url: pod.worker_url,
          worker_secret: Option.fromNullishOr(endpoint.secret),
          run,
          tier: job.tier,
          max_rounds: job.routing.max_rounds,
          progress
        }))
      return { _tag: "Watched" } as const
    }).pipe(
      Effect.catchTag("ObjectStoreError", Effect.die),
      step("startSimulation", { "job.id": job.id, "job.tier": job.tier, "pod.id": pod.pod_id, "pod.gpu_type": job.routing.gpu_type, attempt, retry })
    )
  })
