/**
 * Database errors are defects outside `layers/db`: no caller of a store can do better than fail its request (a 500)
 * or its workflow step (retried per the activity's policy). Each layer applies this once, so no service signature
 * carries `SqlError`. The defect is the `SqlError` itself, so logs and spans still say what failed and why.
 */
import { Effect } from "effect"
import { SqlError } from "effect/sql"

/** `effect` with its `SqlError`s turned into defects; every other error stays typed. */
export const sqlErrorsAreDefects = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, SqlError.SqlError>, R> =>
  Effect.catch(effect, (error) =>
    SqlError.isSqlError(error) ? Effect.die(error) : Effect.fail(error as Exclude<E, SqlError.SqlError>))
