/**
 * A job's story as the lifecycle writes it: guarded status transitions, the event log, the facts and results of the
 * job row, and the `pods` table. Every write is idempotent (activities re-run after a crash) and leaves terminal rows
 * alone; the allowed transitions themselves are a domain rule (`src/domain/status.ts`). Database failures are
 * defects here: no caller can do better than fail the step.
 */
import { Context, type Effect, type Option, type Redacted } from "effect"
import type { JobId } from "../src/domain/ids.ts"
import type { Citation, JobFacts } from "../src/domain/job.ts"
import type { JobEvent, Progress } from "../src/domain/job-event.ts"
import type { Market } from "../src/domain/market.ts"
import type { PodProgress } from "../src/domain/pod-progress.ts"
import type { JobStatus } from "../src/domain/status.ts"
import type { Tier } from "../src/domain/tier.ts"

/** Longest error message kept on a job; longer ones are cut (the event keeps the same text). */
export const maxErrorMessageChars = 4096

export interface TransitionOptions {
  /** Stored in `error_message` (FAILED, CANCELLED) and on the event. */
  readonly errorMessage?: string
  /** Why, on the event (a cancel's reason). */
  readonly reason?: string
}

export interface PodRow {
  readonly name: string
  readonly pod_id: string | null
  readonly provider: string
  readonly terminated: boolean
}

/**
 * A run the workflow waits for (`src/lifecycle/run-watcher.ts`): the pod's worker, the wait it completes, and what
 * polling it needs of the job. The job's status is read with it, so one read per scan also finds stopped jobs.
 */
export interface WatchedRun {
  readonly job_id: JobId
  readonly pod_id: string
  readonly worker_url: string
  readonly worker_secret: Option.Option<Redacted.Redacted<string>>
  /** The name of the workflow's wait (`runOutcome` in `src/lifecycle/activities/run.ts`). */
  readonly run: string
  readonly status: JobStatus
  readonly tier: Tier
  readonly max_rounds: number
  readonly progress: Option.Option<PodProgress>
}

export type WatchedRunKey = Pick<WatchedRun, "job_id" | "pod_id" | "run" | "status">

export interface CreatedPod {
  readonly id: string
  readonly gpu_type: string
  readonly cost_per_hour: number
}

/** What a log line says of a pod (`src/lifecycle/job-log.ts`). */
export interface PodSummary {
  readonly name: string
  readonly gpu_type: string | null
  readonly cost_per_hour: number | null
}

/** A job's totals so far, for its last log line: seconds since it was created, GPU cost (from its pods), LLM cost. */
export interface JobTotals {
  readonly seconds: number
  readonly gpu_cost_usd: number
  readonly llm_cost_usd: number
}

export class JobJournal extends Context.Service<JobJournal, {
  /**
   * Moves the job to `to` if its current status allows it (one guarded UPDATE), with its `status` event in the same
   * transaction; false when the job is missing or its status does not allow it.
   */
  readonly transition: (jobId: JobId, to: JobStatus, options?: TransitionOptions) => Effect.Effect<boolean>
  /** Appends one event to the job's log; its seq, or none for a missing job. */
  readonly appendEvent: (jobId: JobId, event: JobEvent) => Effect.Effect<number | undefined>

  readonly loadFacts: (jobId: JobId) => Effect.Effect<Option.Option<JobFacts>>
  readonly currentStatus: (jobId: JobId) => Effect.Effect<Option.Option<JobStatus>>
  /** The text the pod simulates: the seed, plus the background research when there is some. */
  readonly simulationSeed: (jobId: JobId) => Effect.Effect<string>
  readonly saveEnrichment: (jobId: JobId, summary: string, citations: ReadonlyArray<typeof Citation.Type>) => Effect.Effect<void>
  /** The seed as submitted and the goal, for enriching the seed again (none when the job or its goal is missing). */
  readonly enrichmentInput: (jobId: JobId) => Effect.Effect<Option.Option<{ readonly seedText: string; readonly goal: string }>>
  /** Replaces the enrichment of a job that is not live (a draft or a finished job: enrich-retry); false when it is live. */
  readonly replaceEnrichment: (jobId: JobId, summary: string, citations: ReadonlyArray<typeof Citation.Type>) => Effect.Effect<boolean>
  readonly saveMarkets: (jobId: JobId, markets: ReadonlyArray<Market>) => Effect.Effect<void>
  readonly loadMarkets: (jobId: JobId) => Effect.Effect<ReadonlyArray<Market>>
  /** Writes the stage (and a `stage` event) only when it changes. */
  readonly setPipelineStage: (jobId: JobId, stage: number) => Effect.Effect<void>
  /** Writes the workers' live statuses and a `progress` event each (live jobs only), in one statement. */
  readonly saveLiveStatuses: (updates: ReadonlyArray<{ readonly jobId: JobId; readonly live: Progress }>) => Effect.Effect<void>
  /** The pod's run progress as last saved (`src/domain/pod-progress.ts`), if it was polled before. */
  readonly podProgress: (jobId: JobId, podId: string) => Effect.Effect<Option.Option<PodProgress>>
  readonly savePodProgress: (jobId: JobId, podId: string, progress: PodProgress) => Effect.Effect<void>
  /** Marks the run `run` on the job's pod as waited for (replacing an earlier run on it); idempotent. */
  readonly watchRun: (jobId: JobId, pod: { readonly pod_id: string; readonly worker_url: string }, run: string) => Effect.Effect<void>
  /** The run `run` has its outcome: nobody watches it any more (a later run on the pod stays watched). */
  readonly unwatchRun: (jobId: JobId, podId: string, run: string) => Effect.Effect<void>
  /**
   * Every run waited for, as its key (job, pod, run) and its job's status only: read every poll interval, so it stays
   * small however many runs are in flight.
   */
  readonly watchedRuns: () => Effect.Effect<ReadonlyArray<WatchedRunKey>>
  /** The whole rows (endpoint, tier, round count, progress) of the runs waited for on these jobs' pods. */
  readonly watchedRunsOf: (jobIds: ReadonlyArray<JobId>) => Effect.Effect<ReadonlyArray<WatchedRun>>
  /** Results that never go through the workflow journal: written by the activity that read them. */
  readonly saveResults: (
    jobId: JobId,
    results: { readonly chatLog: unknown; readonly graph: unknown; readonly structured: unknown }
  ) => Effect.Effect<void>
  /** The report, on a REPORTING job only. */
  readonly saveReport: (
    jobId: JobId,
    report: { readonly markdown: string; readonly structured: unknown; readonly keyInsight: string | null }
  ) => Effect.Effect<void>
  readonly markSimDataAvailable: (jobId: JobId) => Effect.Effect<void>

  /** The newest pod row of that name. */
  readonly podRow: (jobId: JobId, name: string) => Effect.Effect<Option.Option<PodRow>>
  /** One row per pod ever requested, written before the provider is asked (the pod id follows). */
  readonly recordPodRequested: (jobId: JobId, provider: string, name: string, gpuType: string) => Effect.Effect<void>
  /**
   * Gives the job's live pod row `name` (just requested) the worker secret its pod is to be created with, unless the
   * row has one already: then the pod may exist with it (a create cut short by a crash), so that one is kept. Returns
   * the secret the row holds, which is the one to create the pod with.
   */
  readonly recordPodWorkerSecret: (jobId: JobId, name: string, workerSecret: Redacted.Redacted<string>) => Effect.Effect<Redacted.Redacted<string>>
  /**
   * The worker secret of the job's pod `podId` (the bearer token its worker asks for); none for a pod created before
   * pods had secrets. Read by each step that talks to the worker, so the secret never passes through the workflow
   * journal (activity results are stored there in plain JSON).
   */
  readonly podWorkerSecret: (jobId: JobId, podId: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>>
  readonly recordPodCreated: (jobId: JobId, name: string, pod: CreatedPod) => Effect.Effect<void>
  readonly recordPodReady: (jobId: JobId, podId: string) => Effect.Effect<void>
  /** Marks a pod terminated once; returns whether this call did it. */
  readonly recordPodTerminated: (jobId: JobId, podId: string, reason: string) => Effect.Effect<boolean>
  /**
   * The provider still refused to terminate the pod after every retry: the row stays live (the pod may still bill)
   * with `termination_reason` `terminate_failed: <reason>`, and a `terminate_failed` event; the reaper finishes it.
   */
  readonly recordPodTerminateFailed: (jobId: JobId, podId: string, reason: string, error: string) => Effect.Effect<void>
  /** A requested pod whose create never returned an id (the provider refused): closed without a pod. */
  readonly recordPodAbandoned: (jobId: JobId, name: string, reason: string) => Effect.Effect<void>
  /** Pods of the job that are not terminated yet (those the workflow's finalizer tears down). */
  readonly livePods: (jobId: JobId) => Effect.Effect<ReadonlyArray<{ readonly pod_id: string | null; readonly name: string }>>
  /** The job's pod `podId` as the log names it (none for a pod the job never had). */
  readonly podSummary: (jobId: JobId, podId: string) => Effect.Effect<Option.Option<PodSummary>>
  /** The job's time and costs so far (none for a missing job). */
  readonly jobTotals: (jobId: JobId) => Effect.Effect<Option.Option<JobTotals>>
  /**
   * Provision seconds (first pod requested -> the running pod ready), pipeline seconds (running pod ready -> now)
   * and the GPU cost so far (pod seconds x hourly price), from the pods table.
   */
  readonly recordTimings: (jobId: JobId) => Effect.Effect<void>
  /** GPU cost recomputed once every pod is terminated; written and announced (`cost` event) only when it changes. */
  readonly recordFinalCost: (jobId: JobId) => Effect.Effect<void>
}>()("fishcloud/services/JobJournal") {}
