/** `tokens create --user NAME [--admin]`: issue an API token straight in the database (run where the service runs). */
import { Console, Effect, Layer, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { SqlError } from "effect/sql"
import { AccountsLive } from "../../../layers/db/accounts.ts"
import { DatabaseLive } from "../../../layers/db/database.ts"
import { Accounts } from "../../../services/accounts.ts"
import { SettingsLive } from "../../config.ts"
import { CliFailure, describeError } from "../cli-errors.ts"

const AccountsOnDatabase = AccountsLive.pipe(Layer.provide(DatabaseLive), Layer.provide(SettingsLive))

const create = Command.make(
  "create",
  {
    user: Flag.String("user").pipe(Flag.withDescription("User name (created when missing)")),
    admin: Flag.Boolean("admin").pipe(Flag.withDescription("Make the user an administrator"), Flag.withDefault(false))
  },
  Effect.fn("cli.tokens.create")(
    function*({ user, admin }) {
      const accounts = yield* Accounts
      const issued = yield* accounts.issueToken(user, { admin })
      const who = `${issued.user.name}${issued.user.is_admin ? " (administrator)" : ""}`
      // Only the token goes to stdout, so `$(fishcloud tokens create ...)` captures exactly it.
      yield* Console.error(`token for ${who}; it is shown only once:`)
      yield* Console.log(Redacted.value(issued.token))
    },
    Effect.provide(AccountsOnDatabase),
    // The store makes a database failure a defect; this command talks to the database, so it is reported in one line.
    Effect.catchDefect((defect) => SqlError.isSqlError(defect) ? Effect.fail(defect) : Effect.die(defect)),
    Effect.mapError((error) => new CliFailure({ message: describeError(error) }))
  )
).pipe(Command.withDescription("Issue a new API token for a user"))

export const tokens = Command.make("tokens").pipe(
  Command.withDescription("API tokens (talks to the database directly)"),
  Command.withSubcommands([create])
)
