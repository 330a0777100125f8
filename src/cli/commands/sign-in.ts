/**
 * `sign-in [--user NAME]`: prints a fresh one-time sign-in link for the dashboard, made straight in the database (run
 * where the service runs, like `tokens create`). The first start logs one such link; this gives another later.
 */
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { SqlError } from "effect/sql"
import { AccountsLive } from "../../../layers/db/accounts.ts"
import { DatabaseLive } from "../../../layers/db/database.ts"
import { Accounts } from "../../../services/accounts.ts"
import { serviceUrl, Settings, SettingsLive } from "../../config.ts"
import { signInLink } from "../../domain/sign-in-link.ts"
import { CliFailure, describeError } from "../cli-errors.ts"

const AccountsOnDatabase = AccountsLive.pipe(Layer.provide(DatabaseLive), Layer.provideMerge(SettingsLive))

export const signIn = Command.make(
  "sign-in",
  {
    user: Flag.String("user").pipe(
      Flag.withDescription("Whose session the link opens (an existing user; default: the local administrator)"),
      Flag.withDefault("local")
    )
  },
  Effect.fn("cli.signIn")(
    function*({ user }) {
      const accounts = yield* Accounts
      const settings = yield* Settings
      const issued = yield* accounts.createSignInCode(user, settings.signInCodeTtl)
      const base = Option.getOrElse(settings.publicUrl, () => serviceUrl(settings.host, settings.port))
      // Only the link goes to stdout, so `$(fishcloud sign-in)` captures exactly it.
      yield* Console.error(
        `sign-in link for ${issued.user.name}; it works once, until ${issued.expiresAt.toISOString()}:`
      )
      yield* Console.log(signInLink(base, issued.code))
    },
    Effect.provide(AccountsOnDatabase),
    // The store makes a database failure a defect; this command talks to the database, so it is reported in one line.
    Effect.catchDefect((defect) => SqlError.isSqlError(defect) ? Effect.fail(defect) : Effect.die(defect)),
    Effect.mapError((error) => new CliFailure({ message: describeError(error) }))
  )
).pipe(Command.withDescription("Print a one-time link that signs in to the dashboard (talks to the database directly)"))
