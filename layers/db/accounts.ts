/**
 * `Accounts` on Postgres: tokens and sign-in codes are random 32-byte values shown once; only their SHA-256 is
 * stored. Expiry is decided by the database's clock (`now()`), so every process agrees on it. Database errors become
 * defects here, once (`sqlErrorsAreDefects`); `AccountsError` and `SignInRefused` are left for what a caller can act on.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Cache, Duration, Effect, Exit, Layer, Option, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import {
  Accounts,
  AccountsError,
  authenticationFreshFor,
  type LocalToken,
  SignInRefused,
  type TokenIdentity
} from "../../services/accounts.ts"
import { UserId } from "../../src/domain/ids.ts"
import { User } from "../../src/domain/user.ts"
import { sqlErrorsAreDefects } from "./sql-defect.ts"

const tokenPrefix = "fc_"

const sha256 = (text: string) => Crypto.createHash("sha256").update(text).digest("hex")

const newToken = () => Redacted.make(tokenPrefix + Crypto.randomBytes(32).toString("base64url"))

/** A sign-in code: 32 random bytes, base64url (it travels in a link's fragment). */
const newSignInCode = () => Redacted.make(Crypto.randomBytes(32).toString("base64url"))

const decodeUsers = Schema.decodeUnknownEffect(Schema.Array(User))

/** A token's row: its user, and for a session whether it expired and how long it has left (milliseconds). */
const TokenRow = Schema.Struct({
  id: UserId,
  name: Schema.String,
  is_admin: Schema.Boolean,
  expired: Schema.Boolean,
  remaining_ms: Schema.NullOr(Schema.Finite)
})
const decodeTokenRows = Schema.decodeUnknownEffect(Schema.Array(TokenRow))

/** A user with the expiry of what was just issued to them (epoch milliseconds). */
const IssuedRow = Schema.Struct({ id: UserId, name: Schema.String, is_admin: Schema.Boolean, expires_ms: Schema.Finite })
const decodeIssuedRows = Schema.decodeUnknownEffect(Schema.Array(IssuedRow))

const CodeStateRow = Schema.Struct({ used: Schema.Boolean })
const decodeCodeStateRows = Schema.decodeUnknownEffect(Schema.Array(CodeStateRow))

const userOf = (row: { readonly id: UserId; readonly name: string; readonly is_admin: boolean }): User => ({
  id: row.id,
  name: row.name,
  is_admin: row.is_admin
})

/** What a token lookup found, and how long a process may trust it without asking again. */
interface Lookup {
  readonly identity: TokenIdentity
  readonly trustFor: Duration.Duration
}

const unknownToken: Lookup = { identity: { _tag: "Unknown" }, trustFor: Duration.zero }
const expiredToken: Lookup = { identity: { _tag: "Expired" }, trustFor: Duration.zero }

const localUserName = "local"

export const AccountsLive = Layer.effect(
  Accounts,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const failed = (message: string) => (cause: unknown) =>
      new AccountsError({ message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}` })

    const lookup = (tokenSha256: string) =>
      Effect.gen(function*() {
        // last_used_at is written at most once a minute, not on every lookup, and never for an expired session.
        const rows = yield* sql`WITH token AS (SELECT id, user_id, expires_at FROM api_tokens WHERE token_sha256 = ${tokenSha256}),
          touched AS (UPDATE api_tokens SET last_used_at = now() FROM token WHERE api_tokens.id = token.id
            AND (token.expires_at IS NULL OR token.expires_at > now())
            AND (api_tokens.last_used_at IS NULL OR api_tokens.last_used_at < now() - interval '60 seconds'))
          SELECT users.id, users.name, users.is_admin,
            (token.expires_at IS NOT NULL AND token.expires_at <= now()) AS expired,
            (extract(epoch FROM token.expires_at - now()) * 1000)::float8 AS remaining_ms
          FROM token JOIN users ON users.id = token.user_id`
        const found = (yield* Effect.orDie(decodeTokenRows(rows)))[0]
        if (found === undefined) return unknownToken
        if (found.expired) return expiredToken
        // A session is trusted from the cache only for what is left of it, so it stops working at its expiry.
        const trustFor = found.remaining_ms === null
          ? authenticationFreshFor
          : Duration.min(authenticationFreshFor, Duration.millis(Math.max(0, found.remaining_ms)))
        return { identity: { _tag: "Valid", user: userOf(found) }, trustFor } satisfies Lookup
      }).pipe(sqlErrorsAreDefects)
    // Keyed by the token's hash, so the cache holds no token. Only valid tokens are remembered: an unknown token is
    // asked again every time (a token issued a moment later works at once), and a flood of them cannot fill it.
    const known = yield* Cache.makeWith(lookup, {
      capacity: 10_000,
      timeToLive: (exit) => Exit.isSuccess(exit) ? exit.value.trustFor : Duration.zero
    })
    const identify = Effect.fn("Accounts.identify")(function*(token: Redacted.Redacted<string>) {
      const found = yield* Cache.get(known, sha256(Redacted.value(token)))
      return found.identity
    })
    const authenticate = Effect.fn("Accounts.authenticate")(function*(token: Redacted.Redacted<string>) {
      const identity = yield* identify(token)
      return identity._tag === "Valid" ? Option.some(identity.user) : Option.none()
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
        if ((existing[0]?.n ?? 0) > 0) return Option.none<LocalToken>()
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
        return Option.some({ file, user: issued.user })
      }))
    }, sqlErrorsAreDefects)

    const createSignInCode = Effect.fn("Accounts.createSignInCode")(function*(userName: string, ttl: Duration.Duration) {
      const name = userName.trim()
      const code = newSignInCode()
      // Codes a day past their expiry are of no use, not even to say "expired": they go as new ones are made.
      yield* sql`DELETE FROM sign_in_codes WHERE expires_at < now() - interval '1 day'`
      const rows = yield* sql`WITH target AS (SELECT id, name, is_admin FROM users WHERE name = ${name}),
          code AS (INSERT INTO sign_in_codes (user_id, code_sha256, expires_at)
            SELECT id, ${sha256(Redacted.value(code))}, now() + ${Duration.toMillis(ttl)}::float8 * interval '1 millisecond'
            FROM target RETURNING expires_at)
        SELECT target.id, target.name, target.is_admin, (extract(epoch FROM code.expires_at) * 1000)::float8 AS expires_ms
        FROM target, code`
      const found = (yield* Effect.orDie(decodeIssuedRows(rows)))[0]
      if (found === undefined) {
        return yield* new AccountsError({ message: `there is no user named "${name}" (fishcloud tokens create --user NAME makes one)` })
      }
      return { user: userOf(found), code, expiresAt: new Date(found.expires_ms) }
    }, sqlErrorsAreDefects)

    const redeemSignInCode = Effect.fn("Accounts.redeemSignInCode")(
      function*(code: Redacted.Redacted<string>, sessionTtl: Duration.Duration) {
        const codeSha256 = sha256(Redacted.value(code))
        const token = newToken()
        // Sessions a week past their expiry go as new ones start (until then a request with one hears "expired").
        yield* sql`DELETE FROM api_tokens WHERE kind = 'session' AND expires_at < now() - interval '7 days'`
        return yield* sql.withTransaction(Effect.gen(function*() {
          // One statement finds and uses the code: of two concurrent exchanges, the second waits for the first's row
          // lock, then finds it used.
          const redeemed = yield* sql`WITH code AS (UPDATE sign_in_codes SET used_at = now()
              WHERE code_sha256 = ${codeSha256} AND used_at IS NULL AND expires_at > now() RETURNING user_id),
            session AS (INSERT INTO api_tokens (user_id, token_sha256, kind, expires_at)
              SELECT user_id, ${sha256(Redacted.value(token))}, 'session',
                now() + ${Duration.toMillis(sessionTtl)}::float8 * interval '1 millisecond'
              FROM code RETURNING user_id, expires_at)
            SELECT users.id, users.name, users.is_admin, (extract(epoch FROM session.expires_at) * 1000)::float8 AS expires_ms
            FROM session JOIN users ON users.id = session.user_id`
          const issued = (yield* Effect.orDie(decodeIssuedRows(redeemed)))[0]
          if (issued !== undefined) {
            return { user: userOf(issued), token, expiresAt: new Date(issued.expires_ms) }
          }
          const state = (yield* Effect.orDie(decodeCodeStateRows(
            yield* sql`SELECT used_at IS NOT NULL AS used FROM sign_in_codes WHERE code_sha256 = ${codeSha256}`
          )))[0]
          return yield* new SignInRefused({ reason: state === undefined ? "unknown" : state.used ? "used" : "expired" })
        }))
      },
      sqlErrorsAreDefects
    )

    return Accounts.of({ authenticate, identify, issueToken, bootstrapLocalToken, createSignInCode, redeemSignInCode })
  })
)
