/**
 * The pod's dead-man's switch, as a pure rule (`docs/lifecycle.md`, "The pod worker protocol"). A worker that hears
 * nothing from the service stops itself, so a pod the service lost (a crash it never came back from, a row the
 * teardown missed) stops costing money even where nothing else tears it down. "Hearing" is an authenticated
 * request: the service sends its bearer secret on every call, `/health` included, and nobody else knows it.
 *
 * - While a job runs the worker never stops on its own: the job's own time limit bounds it, and a service that comes
 *   back after an outage expects to find the results.
 * - Otherwise it stops when nothing was heard for the idle window, counted from the latest of: the worker's start,
 *   the last authenticated request, the end of the last job.
 * - The window is `afterJob` (POD_IDLE_TIMEOUT, 30 minutes) once a job has ended (one restored from the data dir at
 *   start counts as ending then), and `beforeJob` (POD_IDLE_TIMEOUT_BEFORE_JOB, 2 hours) before: a model can take
 *   long to load, and the service may be restarting while the pod starts.
 */
import { Duration } from "effect"

export interface IdleFacts {
  /** When this process started (epoch millis). */
  readonly startedAt: number
  /** The last authenticated request since the start, if any. */
  readonly lastContactAt: number | undefined
  /** When the last job ended (completed or failed), if any did since the start. */
  readonly jobEndedAt: number | undefined
  readonly jobRunning: boolean
}

export interface IdleLimits {
  readonly afterJob: Duration.Duration
  readonly beforeJob: Duration.Duration
}

/** When the worker is to stop, and the line it logs then. */
export interface IdleDeadline {
  readonly at: number
  readonly reason: string
}

/** The moment the worker stops if nothing else is heard; undefined while a job runs. */
export const idleDeadline = (facts: IdleFacts, limits: IdleLimits): IdleDeadline | undefined => {
  if (facts.jobRunning) return undefined
  const quietSince = Math.max(facts.startedAt, facts.lastContactAt ?? facts.startedAt, facts.jobEndedAt ?? facts.startedAt)
  if (facts.jobEndedAt !== undefined) {
    return {
      at: quietSince + Duration.toMillis(limits.afterJob),
      reason: `no request from the service for ${Duration.format(limits.afterJob)} since its job ended (POD_IDLE_TIMEOUT)`
    }
  }
  const window = Duration.format(limits.beforeJob)
  return {
    at: quietSince + Duration.toMillis(limits.beforeJob),
    reason: facts.lastContactAt === undefined
      ? `no request from the service in the ${window} since the worker started (POD_IDLE_TIMEOUT_BEFORE_JOB)`
      : `no request from the service for ${window} and no job submitted (POD_IDLE_TIMEOUT_BEFORE_JOB)`
  }
}
