/**
 * Submit and poll, on one pod. Entry is idempotent (a re-run after a crash asks `/status` first and re-attaches to
 * a running or finished job instead of submitting again). The loop's decisions live in `poll-signals.ts`; this
 * file does the I/O: status every poll, logs every other poll, the stage and live status written only when they
 * change, the results written straight to the database (never through the journal), the pod's progress saved at
 * a new round (at most once a minute) so a re-run measures on (`src/domain/pod-progress.ts`). A job stopped from
 * outside ends the wait as soon as the process's live-job check sees it (`../live-watch.ts`), within one poll interval.
 */
import { Clock, Duration, Effect, Option, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { PodWorkerClient, type WorkerEndpoint } from "../../../services/pod-worker-client.ts"
import { simDataFiles, simDataKey } from "../../domain/artifacts.ts"
import type { JobId } from "../../domain/ids.ts"
import type { ModelRouting } from "../../domain/job.ts"
import type { JobRequest, StatusReply } from "../../domain/pod-protocol.ts"
import type { Tier } from "../../domain/tier.ts"
import { scaled, TimeScale } from "../../domain/time-scale.ts"
import { policies } from "../policies.ts"
import {
  initialPollState,
  markers,
  observeLogs,
  observeStatus,
  observeStatusFailure,
  progressOf,
  recoveryOf,
  resumePollState,
  type Verdict,
  wantsPartialChat
} from "../poll-signals.ts"
import { ensureLive, JobStopped } from "./stop.ts"
import { LiveWatch } from "../live-watch.ts"
import { workerEndpoint } from "../worker-endpoint.ts"
import { JobJournal } from "../../../services/job-journal.ts"

export const RunOutcome = Schema.Union([
  Schema.TaggedStruct("Completed", {}),
  /** `pod_unreachable`: wait, then poll the same pod again. */
  Schema.TaggedStruct("RetrySamePod", { message: Schema.String }),
  /** `llm_circuit_broken` / `slow_pod`: replace the pod; the reason becomes the old pod's termination reason. */
  Schema.TaggedStruct("SwapPod", {
    // Optional only for results journaled before the reason was recorded; those swaps say "degraded".
    reason: Schema.optionalKey(Schema.Literals([markers.circuitBroken, markers.slowPod])),
    message: Schema.String
  }),
  Schema.TaggedStruct("Failed", { message: Schema.String })
])
export type RunOutcome = typeof RunOutcome.Type

export interface RunJob {
  readonly id: JobId
  readonly tier: Tier
  readonly goal: string
  readonly forecast_days: number
  readonly routing: ModelRouting
}

const outcomeOf = (verdict: Verdict): RunOutcome => {
  switch (recoveryOf(verdict)) {
    case "retry-same-pod":
      return { _tag: "RetrySamePod", message: verdict.message }
    case "swap-pod":
      return { _tag: "SwapPod", reason: verdict._tag === "CircuitBroken" ? markers.circuitBroken : markers.slowPod, message: verdict.message }
    case "fail":
      return { _tag: "Failed", message: verdict.message }
  }
}

const parseJson = (text: string | undefined, fallback: unknown) =>
  text === undefined ? Effect.succeed(fallback) : Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Unknown))(text).pipe(
    Effect.orElseSucceed(() => fallback)
  )

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

const saveCompleted = Effect.fn("Run.saveCompleted")(function*(jobId: JobId, reply: StatusReply) {
  const journal = yield* JobJournal
  yield* journal.saveResults(jobId, {
    chatLog: yield* parseJson(reply.chat_log, []),
    graph: yield* parseJson(reply.graph_data, {}),
    structured: yield* parseJson(reply.structured, {})
  })
  yield* journal.transition(jobId, "RUNNING")
})

const poll = Effect.fn("Run.poll")(function*(job: RunJob, podId: string, endpoint: WorkerEndpoint) {
  const worker = yield* PodWorkerClient
  const journal = yield* JobJournal
  const every = yield* scaled(policies.poll.every)
  const scale = yield* TimeScale
  const fresh = initialPollState(job.tier, yield* Clock.currentTimeMillis, scale, job.routing.max_rounds)
  const saved = yield* journal.podProgress(job.id, podId)
  let state = Option.isSome(saved) ? resumePollState(fresh, saved.value) : fresh
  if (Option.isNone(saved)) yield* journal.savePodProgress(job.id, podId, progressOf(state))
  const saveEvery = Duration.toMillis(yield* scaled(policies.progressSaveEvery))
  const statusTimeout = Duration.max(Duration.times(every, 1.5), policies.callTimeoutFloor)
  let savedAtMs = fresh.startedAtMs
  // Stopped from outside (not by an interrupt): seen by the process's live-job check, which wakes the wait.
  const stopped = yield* LiveWatch.use((live) => live.watch(job.id))
  while (true) {
    yield* Effect.raceFirst(Effect.sleep(every), stopped)
    const now = yield* Clock.currentTimeMillis
    const reply = yield* worker.status(endpoint).pipe(Effect.timeoutOption(statusTimeout), Effect.option, Effect.map(Option.flatten))
    const step = Option.isNone(reply) ? observeStatusFailure(state, now) : observeStatus(state, now, reply.value)
    state = step.state
    if (step.firstRunning) yield* journal.transition(job.id, "RUNNING")
    if (step.completed && Option.isSome(reply)) {
      yield* saveCompleted(job.id, reply.value)
      return { _tag: "Completed" } as const
    }
    if (step.verdict) return outcomeOf(step.verdict)
    if (!step.readLogs) continue

    const lines = yield* worker.logs(endpoint, { tail: policies.poll.logTail, source: "pipeline" }).pipe(Effect.option)
    if (Option.isNone(lines)) continue
    const posts = wantsPartialChat(state, lines.value.lines)
      ? yield* worker.partialChat(endpoint, policies.poll.partialChatTail).pipe(Effect.orElseSucceed((): ReadonlyArray<unknown> => []))
      : undefined
    const logStep = observeLogs(state, now, lines.value.lines, posts)
    if (logStep.state.maxRound > state.maxRound && now - savedAtMs >= saveEvery) {
      yield* journal.savePodProgress(job.id, podId, progressOf(logStep.state))
      savedAtMs = now
    }
    state = logStep.state
    if (logStep.stageChanged !== undefined) yield* journal.setPipelineStage(job.id, logStep.stageChanged)
    if (logStep.liveStatus !== undefined) yield* journal.saveLiveStatus(job.id, logStep.liveStatus)
    if (logStep.verdict) return outcomeOf(logStep.verdict)
  }
})

export const runSimulation = (job: RunJob, pod: { readonly pod_id: string; readonly worker_url: string }, attempt: number, retry: number) =>
  activity({
    name: `run-simulation-a${attempt}-r${retry}`,
    success: RunOutcome,
    error: JobStopped,
    execute: Effect.gen(function*() {
      yield* ensureLive(job.id)
      const endpoint = yield* workerEndpoint(job.id, pod)
      const early = yield* enter(job, endpoint)
      if (Option.isSome(early)) return early.value
      return yield* Effect.scoped(poll(job, pod.pod_id, endpoint))
    }).pipe(
      Effect.catchTag("ObjectStoreError", Effect.die),
      step("runSimulation", { "job.id": job.id, "job.tier": job.tier, "pod.id": pod.pod_id, "pod.gpu_type": job.routing.gpu_type, attempt, retry })
    )
  })
