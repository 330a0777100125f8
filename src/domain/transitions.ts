/**
 * The guarded status updates. Each transition is one UPDATE whose WHERE clause only matches the statuses
 * `allowedSources` permits, so a terminal row is never touched; it writes its `job_events` row in the same
 * transaction and reports whether it happened.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { countTransition } from "../metrics.ts"
import type { JobId } from "./ids.ts"
import { allowedSources, isTerminal, type JobStatus } from "./status.ts"

/** Longest error message kept on a job; longer ones are cut (the event keeps the same text). */
export const maxErrorMessageChars = 4096

export interface TransitionOptions {
  /** Stored in `error_message` (FAILED, CANCELLED). */
  readonly errorMessage?: string
  /** Extra facts for the event row (reason, attempt, ...). */
  readonly data?: Record<string, unknown>
}

export const transition = Effect.fn("JobStatus.transition")(function*(
  jobId: JobId,
  to: JobStatus,
  options: TransitionOptions = {}
) {
  const sql = yield* SqlClient.SqlClient
  const sources = allowedSources(to)
  if (sources.length === 0) return false
  const errorMessage = options.errorMessage?.slice(0, maxErrorMessageChars) ?? null
  const terminal = isTerminal(to)
  return yield* sql.withTransaction(Effect.gen(function*() {
    const rows = yield* sql<{ from_status: JobStatus; seq: number }>`
      WITH previous AS (SELECT id, status FROM simulation_jobs WHERE id = ${jobId} FOR UPDATE)
      UPDATE simulation_jobs AS job SET
        status = ${to},
        phase_entered_at = now(),
        updated_at = now(),
        completed_at = CASE WHEN ${terminal} THEN now() ELSE job.completed_at END,
        error_message = COALESCE(${errorMessage}, job.error_message),
        last_event_seq = job.last_event_seq + 1
      FROM previous
      WHERE job.id = previous.id AND previous.status IN ${sql.in(sources)}
      RETURNING previous.status AS from_status, job.last_event_seq AS seq`
    const row = rows[0]
    if (row === undefined) return false
    const data = { from: row.from_status, to, ...(errorMessage === null ? {} : { error: errorMessage }), ...options.data }
    yield* sql`INSERT INTO job_events (job_id, seq, kind, data) VALUES (${jobId}, ${row.seq}, 'status', ${JSON.stringify(data)}::jsonb)`
    return true
  })).pipe(Effect.tap((done) => done ? countTransition(to) : Effect.void))
})

/** Appends one event to a job's story (progress, pod lifecycle, ...). Serialised per job by the row lock. */
export const appendEvent = Effect.fn("JobEvents.append")(function*(
  jobId: JobId,
  kind: string,
  data: Record<string, unknown>
) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ seq: number }>`
    WITH next AS (
      UPDATE simulation_jobs SET last_event_seq = last_event_seq + 1 WHERE id = ${jobId} RETURNING last_event_seq AS seq
    )
    INSERT INTO job_events (job_id, seq, kind, data)
    SELECT ${jobId}, seq, ${kind}, ${JSON.stringify(data)}::jsonb FROM next
    RETURNING seq`
  return rows[0]?.seq
})
