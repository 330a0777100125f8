/**
 * The lines an operator follows a job by in the service's log: one INFO line per status change and pod event
 * (`job 12 RUNNING on pod fishcloud-sim-j12-a1 (A100 80GB, $1.89/h)`, `job 12 FAILED: bad_host: ...`). The step
 * that decides an event logs it, after the journal wrote it (the journal knows no prose); each line carries the
 * job's `job_id` annotation itself, because some are logged outside the workflow's annotations (the run watcher's
 * polls), so LOG_FORMAT=json gives every line its `job_id`, with the trace ids where a span is current.
 */
import { Effect, Option } from "effect"
import type { JobTotals, PodSummary } from "../../services/job-journal.ts"
import type { JobId } from "../domain/ids.ts"
import type { JobFacts } from "../domain/job.ts"
import { readableSeconds, usd } from "../domain/readable.ts"

const info = (jobId: JobId, line: string) => Effect.logInfo(line).pipe(Effect.annotateLogs("job_id", jobId))

/** `A100 80GB, $1.89/h`, or what of it is known. */
const podTerms = (pod: { readonly gpu_type: string | null; readonly cost_per_hour: number | null }) =>
  [pod.gpu_type, pod.cost_per_hour === null ? null : `${usd(pod.cost_per_hour)}/h`].filter((term) => term !== null).join(", ")

const inParentheses = (text: string) => text === "" ? "" : ` (${text})`

/** The workflow took the job up: `job 12 started (small, 30 days, A100 80GB)`. */
export const jobStarted = (jobId: JobId, job: JobFacts) =>
  info(jobId, `job ${jobId} started (${job.tier}, ${job.forecast_days} days, ${job.routing.gpu_type})`)

/** `job 12 PROVISIONING (renting A100 80GB)`. */
export const jobProvisioning = (jobId: JobId, gpuType: string) => info(jobId, `job ${jobId} PROVISIONING (renting ${gpuType})`)

/** A pod rented (or, after a restart, found again under its name). */
export const podCreated = (
  jobId: JobId,
  pod: { readonly id: string; readonly name: string; readonly gpu_type: string; readonly cost_per_hour: number },
  adopted: boolean
) => info(jobId, `job ${jobId} pod ${pod.name} ${adopted ? "found again" : "created"} (${podTerms(pod)}, id ${pod.id})`)

/** The provider never created the requested pod. */
export const podNotCreated = (jobId: JobId, name: string, reason: string) => info(jobId, `job ${jobId} pod ${name} not created (${reason})`)

export const podReady = (jobId: JobId, name: string) => info(jobId, `job ${jobId} pod ${name} ready`)

/** `job 12 RUNNING on pod fishcloud-sim-j12-a1 (A100 80GB, $1.89/h)`; the pod's id when its row is not found. */
export const jobRunning = (jobId: JobId, podId: string, pod: Option.Option<PodSummary>) =>
  info(
    jobId,
    Option.match(pod, {
      onNone: () => `job ${jobId} RUNNING on pod ${podId}`,
      onSome: (summary) => `job ${jobId} RUNNING on pod ${summary.name}${inParentheses(podTerms(summary))}`
    })
  )

export const podTerminated = (jobId: JobId, name: string, reason: string) => info(jobId, `job ${jobId} pod ${name} terminated (${reason})`)

/** The provider kept refusing: the pod may still bill, so this one is an error. */
export const podTerminateFailed = (jobId: JobId, name: string, reason: string, error: unknown) =>
  Effect.logError(`job ${jobId} pod ${name} could not be terminated (${reason}); left for the orphan-pod reaper`, error).pipe(
    Effect.annotateLogs("job_id", jobId)
  )

export const jobReporting = (jobId: JobId) => info(jobId, `job ${jobId} REPORTING (artifacts stored, pod released next)`)

/** `job 12 COMPLETED in 4m 12s, GPU $0.41, LLM $0.02`. */
export const jobCompleted = (jobId: JobId, totals: Option.Option<JobTotals>) =>
  info(
    jobId,
    Option.match(totals, {
      onNone: () => `job ${jobId} COMPLETED`,
      onSome: (total) =>
        `job ${jobId} COMPLETED in ${readableSeconds(total.seconds)}, GPU ${usd(total.gpu_cost_usd)}, LLM ${usd(total.llm_cost_usd)}`
    })
  )

/** `job 12 FAILED: bad_host: pod p-1 not healthy after 900s`: the job's error message says why. */
export const jobFailed = (jobId: JobId, message: string) => info(jobId, `job ${jobId} FAILED: ${message}`)

/** `job 12 CANCELLED (by its owner)`. */
export const jobCancelled = (jobId: JobId, reason: string | undefined) =>
  info(jobId, `job ${jobId} CANCELLED${inParentheses(reason ?? "")}`)
