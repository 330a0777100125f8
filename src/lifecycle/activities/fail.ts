/**
 * Failing a job: the guarded transition to FAILED (it never overwrites a terminal row; an activity, so tried again
 * while the database is away); and the net under every workflow, which waits out a database outage and turns any
 * other failure that is not an interruption into FAILED `internal_error: ...`, so no job stays live without an
 * execution running for it.
 */
import { Cause, Effect } from "effect"
import { activity } from "./activity.ts"
import type { JobId } from "../../domain/ids.ts"
import { Alerts } from "../../../services/alerts.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { retryWhileDatabaseAway } from "../database-away.ts"
import { jobFailed } from "../job-log.ts"

/** The first line of a cause, for the job's error message (the full cause goes to the log). */
export const firstLine = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0] ?? "unknown failure"

/** Moves the job to FAILED with `message`. */
export const markFailed = (jobId: JobId, message: string) =>
  activity({ name: "mark-failed", execute: failJob(jobId, message) })

const failJob = (jobId: JobId, message: string) =>
  JobJournal.use((journal) => journal.transition(jobId, "FAILED", { errorMessage: message })).pipe(
    Effect.tap((failed) => failed ? jobFailed(jobId, message) : Effect.void)
  )

/** FAILED `internal_error`, and an alert (once: the activity's result is journaled) when this call failed it. */
const markInternalError = (jobId: JobId, message: string) =>
  activity({
    name: "mark-failed-internal",
    execute: Effect.gen(function*() {
      if (yield* failJob(jobId, message)) yield* Alerts.use((alerts) => alerts.send({ _tag: "internal_error", job_id: jobId, message }))
    })
  })

/**
 * Wraps a workflow's program: a database outage (the engine could not persist a step) runs the program again, which
 * replays its finished steps; past `policies.databaseAway`, or for any other failure or defect that is not an
 * interruption (a cancel, a suspension, a runner handing the workflow over are interruptions), the cause is logged
 * and the job fails with `internal_error: <first line>`.
 */
export const failJobOnUnexpected = (jobId: JobId) =>
<A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.catchCause(retryWhileDatabaseAway(program), (cause) =>
    Cause.hasInterrupts(cause)
      ? Effect.failCause(cause)
      : Effect.logError("the workflow failed unexpectedly; the job is marked FAILED", cause).pipe(
        Effect.andThen(markInternalError(jobId, `internal_error: ${firstLine(cause)}`)),
        Effect.as("failed" as const)
      ))
