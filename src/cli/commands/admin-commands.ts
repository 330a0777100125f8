/**
 * `fishcloud admin users create|list` and `fishcloud admin tokens issue|list|revoke`: users and tokens over the
 * admin HTTP API (an admin-scoped token), so nobody needs database access. `tokens issue` prints the token alone on
 * stdout (shown once), so `$(fishcloud admin tokens issue ...)` captures exactly it.
 */
import { Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { AccountUser, TokenInfo, TokenScope } from "../../../services/accounts.ts"
import { ApiLive, request } from "../api-client.ts"
import { CliFailure } from "../cli-errors.ts"
import { jsonText } from "../format.ts"
import { JsonFlag } from "../json-flag.ts"
import { tokensTable, usersTable } from "./admin-tables.ts"

const createUser = Command.make(
  "create",
  {
    name: Argument.String("name").pipe(Argument.withDescription("The new user's name")),
    admin: Flag.Boolean("admin").pipe(Flag.withDescription("Make the user an administrator"), Flag.withDefault(false))
  },
  Effect.fn("cli.admin.users.create")(function*({ name, admin }) {
    const user = yield* request((client) => client.adminUsers.create({ payload: { name, admin } }))
    yield* Console.log(usersTable([user]))
  })
).pipe(Command.withDescription("Create a user (then: fishcloud admin tokens issue --user NAME ...)"), Command.provide(ApiLive))

const listUsers = Command.make(
  "list",
  { json: JsonFlag },
  Effect.fn("cli.admin.users.list")(function*({ json }) {
    const users = yield* request((client) => client.adminUsers.list())
    yield* Console.log(json ? yield* jsonText(Schema.Array(AccountUser), users) : usersTable(users))
  })
).pipe(Command.withDescription("List every user"), Command.provide(ApiLive))

/** `--expires-in-days N` or `--expires-at TIME` (ISO 8601), or neither (never expires). */
const expiryOf = (days: Option.Option<number>, at: Option.Option<string>) => {
  if (Option.isSome(days) && Option.isSome(at)) {
    return Effect.fail(new CliFailure({ message: "give --expires-in-days or --expires-at, not both" }))
  }
  if (Option.isSome(days)) return Effect.succeed(Option.some(new Date(Date.now() + days.value * 86_400_000).toISOString()))
  return Effect.succeed(at)
}

const issueToken = Command.make(
  "issue",
  {
    user: Flag.String("user").pipe(Flag.withDescription("Whose token (an existing user)")),
    name: Flag.String("name").pipe(Flag.withDescription("What the token is for (shown in lists and the audit log)")),
    scope: Flag.Literals("scope", TokenScope.literals).pipe(
      Flag.withDescription("read (only reads), submit (also runs and manages jobs) or admin (administrators only)"),
      Flag.withDefault("submit" as const)
    ),
    expiresInDays: Flag.Int("expires-in-days").pipe(
      Flag.withDescription("Expire after this many days (default: never)"),
      Flag.withSchema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 3650 }))),
      Flag.optional
    ),
    expiresAt: Flag.String("expires-at").pipe(Flag.withDescription("Expire at this time (ISO 8601)"), Flag.optional)
  },
  Effect.fn("cli.admin.tokens.issue")(function*({ user, name, scope, expiresInDays, expiresAt }) {
    const expiry = yield* expiryOf(expiresInDays, expiresAt)
    const issued = yield* request((client) =>
      client.adminTokens.issue({
        payload: { user, name, scope, ...Option.match(expiry, { onNone: () => ({}), onSome: (expires_at) => ({ expires_at }) }) }
      })
    )
    yield* Console.error(tokensTable([issued.info]))
    yield* Console.error("the token is shown only once:")
    yield* Console.log(issued.token)
  })
).pipe(Command.withDescription("Issue a named token for a user (printed once)"), Command.provide(ApiLive))

const listTokens = Command.make(
  "list",
  {
    user: Flag.String("user").pipe(Flag.withDescription("Only this user's tokens"), Flag.optional),
    json: JsonFlag
  },
  Effect.fn("cli.admin.tokens.list")(function*({ user, json }) {
    const tokens = yield* request((client) =>
      client.adminTokens.list({ query: Option.match(user, { onNone: () => ({}), onSome: (name) => ({ user: name }) }) })
    )
    yield* Console.log(json ? yield* jsonText(Schema.Array(TokenInfo), tokens) : tokensTable(tokens))
  })
).pipe(Command.withDescription("List tokens (never the tokens themselves)"), Command.provide(ApiLive))

const revokeToken = Command.make(
  "revoke",
  { id: Argument.Int("id").pipe(Argument.withDescription("The token's id (see tokens list)")) },
  Effect.fn("cli.admin.tokens.revoke")(function*({ id }) {
    const token = yield* request((client) => client.adminTokens.revoke({ params: { id } }))
    yield* Console.log(tokensTable([token]))
  })
).pipe(Command.withDescription("Revoke a token: it stops working at once"), Command.provide(ApiLive))

const users = Command.make("users").pipe(
  Command.withDescription("Users (administrators)"),
  Command.withSubcommands([createUser, listUsers])
)

const tokens = Command.make("tokens").pipe(
  Command.withDescription("API tokens (administrators)"),
  Command.withSubcommands([issueToken, listTokens, revokeToken])
)

export const admin = Command.make("admin").pipe(
  Command.withDescription("Users and tokens, over the API (needs an admin-scoped token)"),
  Command.withSubcommands([users, tokens])
)
