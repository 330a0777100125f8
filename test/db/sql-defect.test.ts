/**
 * Which database errors the lifecycle waits out: a connection error, or Postgres shutting down or starting up, die
 * as `DatabaseUnavailable` (with the SqlError as cause); a wrong query dies as itself.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { ConnectionError, SqlError, SqlSyntaxError, UnknownError } from "effect/sql/SqlError"
import { errorsAreDefects, sqlErrorsAreDefects } from "../../layers/db/sql-defect.ts"
import { DatabaseUnavailable } from "../../services/database-unavailable.ts"

const defectOf = (error: SqlError) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(sqlErrorsAreDefects(Effect.fail(error)))
    assert.isTrue(Exit.isFailure(exit))
    return Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
  })

describe("database errors as defects", () => {
  it.effect("a refused connection and a server shutting down (57P01) or starting up (57P03) are DatabaseUnavailable", () =>
    Effect.gen(function*() {
      const refused = new SqlError({ reason: new ConnectionError({ cause: new Error("ECONNREFUSED"), message: "PgConnection: Failed to connect" }) })
      const shutdown = new SqlError({ reason: new UnknownError({ cause: { code: "57P01" }, message: "terminating connection due to administrator command" }) })
      const starting = new SqlError({ reason: new UnknownError({ cause: { code: "57P03" }, message: "the database system is starting up" }) })
      for (const error of [refused, shutdown, starting]) {
        const defect = yield* defectOf(error)
        assert.instanceOf(defect, DatabaseUnavailable, error.message)
        assert.strictEqual((defect as DatabaseUnavailable).cause, error, "the database's own error is kept")
      }
      const viaAll = yield* Effect.exit(errorsAreDefects(Effect.fail(refused)))
      assert.instanceOf(Exit.isFailure(viaAll) ? Cause.squash(viaAll.cause) : undefined, DatabaseUnavailable)
    }))

  it.effect("a wrong query, or an unclassified error, dies as itself", () =>
    Effect.gen(function*() {
      const syntax = new SqlError({ reason: new SqlSyntaxError({ cause: { code: "42601" }, message: "syntax error" }) })
      const unknown = new SqlError({ reason: new UnknownError({ cause: { code: "XX000" }, message: "internal error" }) })
      assert.strictEqual(yield* defectOf(syntax), syntax)
      assert.strictEqual(yield* defectOf(unknown), unknown)
    }))
})
