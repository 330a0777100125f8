/** `migrate`: apply pending database migrations (the service also migrates when it starts). */
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { DatabaseUrl, migrate as runMigrations, PgClientLive } from "../../../layers/db/database.ts"
import { SettingsLive } from "../../config.ts"
import { CliFailure, describeError } from "../cli-errors.ts"

export const migrate = Command.make(
  "migrate",
  {},
  Effect.fn("cli.migrate")(
    // What `DatabaseLive` does when it is built, keeping the list of applied migrations to print it.
    function*() {
      const url = yield* DatabaseUrl
      const applied = yield* runMigrations.pipe(Effect.provide(PgClientLive(url)))
      for (const [id, name] of applied) yield* Console.log(`applied ${String(id).padStart(4, "0")}_${name}`)
      yield* Console.log(applied.length === 0 ? "database is up to date" : "database migrated")
    },
    Effect.scoped,
    Effect.provide(SettingsLive),
    Effect.mapError((error) => new CliFailure({ message: `migration failed: ${describeError(error)}` }))
  )
).pipe(Command.withDescription("Apply pending database migrations"))
