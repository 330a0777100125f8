/**
 * Waiting out a database that does not answer. A Postgres restart or failover takes seconds; a job must not fail
 * for it. The stores report it as a `DatabaseUnavailable` defect, the workflow engine as a `PersistenceError`; a
 * step or a workflow that dies of either is run again (steps are idempotent, and a workflow run again replays its
 * finished steps from the journal) per `policies.databaseAway`, and only then does the defect stand.
 */
import { Cause, Duration, Effect, Result } from "effect"
import { ClusterError } from "effect/cluster"
import { DatabaseUnavailable } from "../../services/database-unavailable.ts"
import { exponentialBackoff } from "../domain/time-scale.ts"
import { policies } from "./policies.ts"

/** Whether `cause` is a database outage: no interruption, and every defect in it one of the database's. */
export const isDatabaseAway = (cause: Cause.Cause<unknown>) =>
  !Cause.hasInterrupts(cause) && Result.isSuccess(Cause.findDefect(cause)) &&
  cause.reasons.every((reason) =>
    Cause.isDieReason(reason) && (reason.defect instanceof DatabaseUnavailable || reason.defect instanceof ClusterError.PersistenceError))

/** How long `retryWhileDatabaseAway` waits in all before the outage stands: the sum of its back-off's delays. */
export const databaseAwayMs = Array.from({ length: policies.databaseAway.attempts }, (_, attempt) =>
  Math.min(Duration.toMillis(policies.databaseAway.base) * 2 ** attempt, Duration.toMillis(policies.databaseAway.cap))
).reduce((sum, delay) => sum + delay, 0)

/** Runs `effect` again while it dies of a database outage, per `policies.databaseAway`; then it dies as it did. */
export const retryWhileDatabaseAway = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.sandbox(effect).pipe(
    Effect.tapError((cause) =>
      isDatabaseAway(cause) ? Effect.logWarning("the database does not answer; the step will be tried again", cause) : Effect.void),
    Effect.retry({ schedule: exponentialBackoff(policies.databaseAway), while: isDatabaseAway }),
    Effect.catch(Effect.failCause)
  )
