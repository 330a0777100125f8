/**
 * The stale-job detector: a live job that has been in its status longer than the status allows
 * (`policies.maintenance`, scaled) is failed `stale_<status>` and its pods released when no workflow execution runs
 * for it (its execution finished, or never existed); when one still runs, the job is left to it and an alert is
 * sent once per stay in the status (the store remembers it, whichever runner or command finds it).
 */
import { Clock, Duration, Effect, Option } from "effect"
import { Alerts } from "../../../services/alerts.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { type LiveJob, MaintenanceStore } from "../../../services/maintenance-store.ts"
import type { JobId } from "../../domain/ids.ts"
import { scaled } from "../../domain/time-scale.ts"
import { countJobStale } from "../../metrics.ts"
import { releasePods } from "../activities/terminate.ts"
import { jobFailed } from "../job-log.ts"
import { policies } from "../policies.ts"
import { ReportWorkflow, SimulationWorkflow } from "../workflows.ts"

/** How long a job may stay in its status before it is stale. */
const budget = (job: LiveJob): Duration.Duration =>
  job.status === "RUNNING"
    ? Duration.sum(policies.tierTimeout[job.tier], policies.maintenance.runningGrace)
    : policies.maintenance.staleAfter[job.status === "PENDING" || job.status === "PROVISIONING" ? job.status : "REPORTING"]

/**
 * Whether an execution still runs for the job: the report workflow's once the job is REPORTING, else the
 * simulation's. A finished one (any result) does not; a suspended one (a durable sleep) does; one the engine has no
 * result for runs if it exists at all.
 */
const executionRunning = Effect.fnUntraced(function*(job: LiveJob) {
  const payload = { job_id: job.id }
  if (job.status === "REPORTING") {
    const executionId = yield* ReportWorkflow.executionId(payload)
    return yield* running(ReportWorkflow._tag, executionId, yield* ReportWorkflow.poll(executionId))
  }
  const executionId = yield* SimulationWorkflow.executionId(payload)
  return yield* running(SimulationWorkflow._tag, executionId, yield* SimulationWorkflow.poll(executionId))
})

const running = (name: string, executionId: string, result: Option.Option<{ readonly _tag: "Complete" | "Suspended" }>) =>
  Option.isSome(result)
    ? Effect.succeed(result.value._tag === "Suspended")
    : MaintenanceStore.use((store) => store.executionExists(name, executionId))

export interface StaleJob {
  readonly job_id: JobId
  readonly status: string
  readonly minutes_in_status: number
  /** True when the detector failed it; false when its execution still runs (alerted only). */
  readonly failed: boolean
}

export const detectStaleJobs = Effect.fn("Maintenance.detectStaleJobs")(function*() {
  const store = yield* MaintenanceStore
  const journal = yield* JobJournal
  const alerts = yield* Alerts
  const stale: Array<StaleJob> = []
  for (const job of yield* store.liveJobs) {
    const secondsInStatus = ((yield* Clock.currentTimeMillis) - job.status_since) / 1000
    const over = secondsInStatus - Duration.toSeconds(yield* scaled(budget(job)))
    if (over < 0) continue
    const minutes = Math.round(secondsInStatus / 60)
    if (yield* executionRunning(job)) {
      if (yield* store.firstStaleAlert(job.id, job.status, job.status_since)) {
        yield* Effect.logWarning(`stale-job detector: job ${job.id} has been ${job.status} for ${minutes} min; its execution still runs`).pipe(
          Effect.annotateLogs("job_id", job.id)
        )
        yield* alerts.send({ _tag: "job_stale", job_id: job.id, status: job.status, minutes_in_status: minutes, failed: false })
        stale.push({ job_id: job.id, status: job.status, minutes_in_status: minutes, failed: false })
      }
      continue
    }
    const errorMessage = `stale_${job.status.toLowerCase()}: ${job.status} for ${minutes} min with no execution running for the job`
    const failed = yield* journal.transition(job.id, "FAILED", { errorMessage })
    if (!failed) continue
    yield* jobFailed(job.id, errorMessage)
    yield* releasePods(job.id, "job_failed")
    yield* countJobStale(job.status)
    yield* Effect.logWarning(`stale-job detector: job ${job.id} failed after ${minutes} min in ${job.status} with no execution`).pipe(
      Effect.annotateLogs("job_id", job.id)
    )
    yield* alerts.send({ _tag: "job_stale", job_id: job.id, status: job.status, minutes_in_status: minutes, failed: true })
    stale.push({ job_id: job.id, status: job.status, minutes_in_status: minutes, failed: true })
  }
  return stale
})
