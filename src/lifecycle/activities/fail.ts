/**
 * Failing a job: the guarded transition to FAILED (it never overwrites a terminal row), retried while the database
 * is away; and the net under every workflow, which turns any failure that is not an interruption into FAILED
 * `internal_error: ...`, so no job stays live without an execution running for it.
 */
import { Cause, Effect } from "effect"
import { Activity } from "effect/workflow"
import type { JobId } from "../../domain/ids.ts"
import { backoff } from "../../domain/time-scale.ts"
import { Alerts } from "../../../services/alerts.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { policies } from "../policies.ts"

/** The first line of a cause, for the job's error message (the full cause goes to the log). */
export const firstLine = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0] ?? "unknown failure"

/** Moves the job to FAILED with `message`; a database error is retried per `policies.persistRetry`. */
export const markFailed = (jobId: JobId, message: string) =>
  Activity.make({ name: "mark-failed", execute: failJob(jobId, message) })

const failJob = Effect.fnUntraced(function*(jobId: JobId, message: string) {
  const schedule = yield* backoff(policies.persistRetry)
  return yield* JobJournal.use((journal) => journal.transition(jobId, "FAILED", { errorMessage: message })).pipe(
    // The journal's database errors are defects: retry them as failures, then give up as a defect again.
    Effect.catchDefect(Effect.fail),
    Effect.retry({ schedule }),
    Effect.orDie
  )
})

/** FAILED `internal_error`, and an alert (once: the activity's result is journaled) when this call failed it. */
const markInternalError = (jobId: JobId, message: string) =>
  Activity.make({
    name: "mark-failed-internal",
    execute: Effect.gen(function*() {
      if (yield* failJob(jobId, message)) yield* Alerts.use((alerts) => alerts.send({ _tag: "internal_error", job_id: jobId, message }))
    })
  })

/**
 * Wraps a workflow's program: a failure or defect that is not an interruption (a cancel, a suspension, a runner
 * handing the workflow over are interruptions) is logged and fails the job with `internal_error: <first line>`.
 */
export const failJobOnUnexpected = (jobId: JobId) =>
<A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.catchCause(program, (cause) =>
    Cause.hasInterrupts(cause)
      ? Effect.failCause(cause)
      : Effect.logError("the workflow failed unexpectedly; the job is marked FAILED", cause).pipe(
        Effect.andThen(markInternalError(jobId, `internal_error: ${firstLine(cause)}`)),
        Effect.as("failed" as const)
      ))
