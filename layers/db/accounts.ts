/**
 * `Accounts` on Postgres: tokens are random 32-byte values shown once; only their SHA-256 is stored. Database errors
 * become defects here, once (`sqlErrorsAreDefects`); `AccountsError` is left for what a caller can act on.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Cache, Duration, Effect, Exit, Layer, Option, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Accounts, AccountsError, authenticationFreshFor } from "../../services/accounts.ts"
import { User } from "../../src/domain/user.ts"
import { sqlErrorsAreDefects } from "./sql-defect.ts"

const tokenPrefix = "fc_"

const sha256 = (text: string) => Crypto.createHash("sha256").update(text).digest("hex")

const newToken = () => Redacted.make(tokenPrefix + Crypto.randomBytes(32).toString("base64url"))

const decodeUsers = Schema.decodeUnknownEffect(Schema.Array(User))

const localUserName = "local"

export const AccountsLive = Layer.effect(
  Accounts,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const failed = (message: string) => (cause: unknown) =>
      new AccountsError({ message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}` })

    const lookup = (tokenSha256: string) =>
      Effect.gen(function*() {
        // last_used_at is written at most once a minute, not on every lookup.
        const rows = yield* sql`WITH token AS (SELECT id, user_id FROM api_tokens WHERE token_sha256 = ${tokenSha256}),
          touched AS (UPDATE api_tokens SET last_used_at = now() FROM token WHERE api_tokens.id = token.id
            AND (api_tokens.last_used_at IS NULL OR api_tokens.last_used_at < now() - interval '60 seconds'))
          SELECT users.id, users.name, users.is_admin FROM token JOIN users ON users.id = token.user_id`
        const users = yield* Effect.orDie(decodeUsers(rows))
        return Option.fromNullishOr(users[0])
      }).pipe(sqlErrorsAreDefects)
    // Keyed by the token's hash, so the cache holds no token. Only found users are remembered: an unknown token is
    // asked again every time (a token issued a moment later works at once), and a flood of them cannot fill it.
    const known = yield* Cache.makeWith(lookup, {
      capacity: 10_000,
      timeToLive: (exit) => Exit.isSuccess(exit) && Option.isSome(exit.value) ? authenticationFreshFor : Duration.zero
    })
    const authenticate = Effect.fn("Accounts.authenticate")(function*(token: Redacted.Redacted<string>) {
      return yield* Cache.get(known, sha256(Redacted.value(token)))
    })

    const issueToken = Effect.fn("Accounts.issueToken")(function*(userName: string, options?: { readonly admin?: boolean }) {
      const name = userName.trim()
      if (name.length === 0 || name.length > 200) {
        return yield* new AccountsError({ message: "a user name has 1 to 200 characters" })
      }
      const token = newToken()
      const rows = yield* sql.withTransaction(Effect.gen(function*() {
        const users = yield* sql`INSERT INTO users (name, is_admin) VALUES (${name}, ${options?.admin ?? false})
          ON CONFLICT (name) DO UPDATE SET is_admin = users.is_admin OR EXCLUDED.is_admin
          RETURNING id, name, is_admin`
        yield* sql`INSERT INTO api_tokens (user_id, token_sha256) VALUES (${users[0]!["id"] as number}, ${sha256(Redacted.value(token))})`
        return users
      }))
      const users = yield* Effect.orDie(decodeUsers(rows))
      return { user: users[0]!, token }
    }, sqlErrorsAreDefects)

    const bootstrapLocalToken = Effect.fn("Accounts.bootstrapLocalToken")(function*(home: string) {
      // Serialised across processes, so two services starting at once create one local user and one token file.
      return yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(hashtextextended('fishcloud:bootstrap-token', 0))`
        const existing = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM api_tokens`
        if ((existing[0]?.n ?? 0) > 0) return Option.none<string>()
        const issued = yield* issueToken(localUserName, { admin: true })
        const file = NodePath.join(home, "token")
        yield* Effect.tryPromise({
          try: async () => {
            await Fs.mkdir(home, { recursive: true })
            // Written whole or not at all: a reader never sees a half-written token.
            await Fs.writeFile(`${file}.tmp`, Redacted.value(issued.token) + "\n", { mode: 0o600 })
            await Fs.chmod(`${file}.tmp`, 0o600)
            await Fs.rename(`${file}.tmp`, file)
          },
          catch: failed(`could not write ${file}`)
        })
        return Option.some(file)
      }))
    }, sqlErrorsAreDefects)

    return Accounts.of({ authenticate, issueToken, bootstrapLocalToken })
  })
)
