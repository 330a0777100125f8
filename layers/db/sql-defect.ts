/**
 * Database errors are defects outside `layers/db`: no caller of a store can do better than fail its request (a 500)
 * or its workflow step. Each layer applies this once, so no service signature carries `SqlError`. A database that
 * did not answer (a connection error, or Postgres shutting down or starting up: SQLSTATE 57P01-57P03) dies as
 * `DatabaseUnavailable` wrapping the `SqlError`, which the lifecycle waits out; any other error dies as itself, so
 * logs and spans still say what failed and why.
 */
import { Effect, Predicate } from "effect"
import { SqlError } from "effect/sql"
import { DatabaseUnavailable } from "../../services/database-unavailable.ts"

const serverGoingAway = new Set(["57P01", "57P02", "57P03"])

const sqlState = (cause: unknown) =>
  Predicate.hasProperty(cause, "code") && typeof cause.code === "string" ? cause.code : undefined

/** The defect a store dies with for `error`. */
const asDefect = (error: unknown) =>
  SqlError.isSqlError(error) && (error.isRetryable || serverGoingAway.has(sqlState(error.reason.cause) ?? ""))
    ? new DatabaseUnavailable({ cause: error })
    : error

/** `effect` with its `SqlError`s turned into defects; every other error stays typed. */
export const sqlErrorsAreDefects = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, SqlError.SqlError>, R> =>
  Effect.catch(effect, (error) =>
    SqlError.isSqlError(error) ? Effect.die(asDefect(error)) : Effect.fail(error as Exclude<E, SqlError.SqlError>))

/** `effect` with every error (SQL, or a row that does not decode) turned into a defect. */
export const errorsAreDefects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, never, R> =>
  Effect.catch(effect, (error) => Effect.die(asDefect(error)))
