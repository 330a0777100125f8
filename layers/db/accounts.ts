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
  AccountConflict,
  AccountNotFound,
  Accounts,
  AccountsError,
  AccountUser,
  authenticationFreshFor,
  type LocalToken,
  scopeAllows,
  SignInRefused,
  type TokenIdentity,
  TokenInfo,
  TokenScope
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

/**
 * A token's row: its user, the token's id, name, scope and kind, whether it expired or was revoked (and when, epoch
 * milliseconds), and how long it has left (milliseconds).
 */
const TokenRow = Schema.Struct({
  id: UserId,
  name: Schema.String,
  is_admin: Schema.Boolean,
  token_id: Schema.Int,
  token_name: Schema.String,
  scope: TokenScope,
  kind: Schema.String,
  expired: Schema.Boolean,
  expires_ms: Schema.NullOr(Schema.Finite),
  revoked_ms: Schema.NullOr(Schema.Finite),
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

/** A user name: 1 to 200 characters once trimmed. */
const userNameOf = (userName: string) => {
  const name = userName.trim()
  return name.length === 0 || name.length > 200
    ? Effect.fail(new AccountsError({ message: "a user name has 1 to 200 characters" }))
    : Effect.succeed(name)
}

/** A token's name: 1 to 100 characters once trimmed. */
const tokenNameOf = (tokenName: string) => {
  const name = tokenName.trim()
  return name.length === 0 || name.length > 100
    ? Effect.fail(new AccountsError({ message: "a token name has 1 to 100 characters" }))
    : Effect.succeed(name)
}

const isoOrNull = (ms: number | null) => ms === null ? null : new Date(ms).toISOString()

/** The columns of a token as the admin API lists it (epoch milliseconds, made ISO 8601 by `tokenInfoOf`). */
const tokenColumns = `api_tokens.id, api_tokens.name, api_tokens.scope, api_tokens.kind, users.name AS user_name,
  (extract(epoch FROM api_tokens.created_at) * 1000)::float8 AS created_ms,
  (extract(epoch FROM api_tokens.expires_at) * 1000)::float8 AS expires_ms,
  (extract(epoch FROM api_tokens.last_used_at) * 1000)::float8 AS last_used_ms,
  (extract(epoch FROM api_tokens.revoked_at) * 1000)::float8 AS revoked_ms`

const TokenInfoRow = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  scope: TokenScope,
  kind: TokenInfo.fields.kind,
  user_name: Schema.String,
  created_ms: Schema.Finite,
  expires_ms: Schema.NullOr(Schema.Finite),
  last_used_ms: Schema.NullOr(Schema.Finite),
  revoked_ms: Schema.NullOr(Schema.Finite)
})
const decodeTokenInfoRows = Schema.decodeUnknownEffect(Schema.Array(TokenInfoRow))

const tokenInfoOf = (row: typeof TokenInfoRow.Type): TokenInfo => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  kind: row.kind,
  user: row.user_name,
  created_at: new Date(row.created_ms).toISOString(),
  expires_at: isoOrNull(row.expires_ms),
  last_used_at: isoOrNull(row.last_used_ms),
  revoked_at: isoOrNull(row.revoked_ms)
})

const AccountUserRow = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  is_admin: Schema.Boolean,
  created_ms: Schema.Finite,
  active_tokens: Schema.Int
})
const decodeAccountUserRows = Schema.decodeUnknownEffect(Schema.Array(AccountUserRow))

const accountUserOf = (row: typeof AccountUserRow.Type): AccountUser => ({
  id: row.id,
  name: row.name,
  admin: row.is_admin,
  created_at: new Date(row.created_ms).toISOString(),
  active_tokens: row.active_tokens
})

const localUserName = "local"

export const AccountsLive = Layer.effect(
  Accounts,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const failed = (message: string) => (cause: unknown) =>
      new AccountsError({ message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}` })

    const lookup = (tokenSha256: string) =>
      Effect.gen(function*() {
        // last_used_at is written at most once a minute, not on every lookup, and never for an expired or revoked token.
        const rows = yield* sql`WITH token AS (SELECT id, user_id, name, scope, kind, expires_at, revoked_at FROM api_tokens
              WHERE token_sha256 = ${tokenSha256}),
          touched AS (UPDATE api_tokens SET last_used_at = now() FROM token WHERE api_tokens.id = token.id
            AND (token.expires_at IS NULL OR token.expires_at > now()) AND token.revoked_at IS NULL
            AND (api_tokens.last_used_at IS NULL OR api_tokens.last_used_at < now() - interval '60 seconds'))
          SELECT users.id, users.name, users.is_admin, token.id AS token_id, token.name AS token_name, token.scope, token.kind,
            (token.expires_at IS NOT NULL AND token.expires_at <= now()) AS expired,
            (extract(epoch FROM token.expires_at) * 1000)::float8 AS expires_ms,
            (extract(epoch FROM token.revoked_at) * 1000)::float8 AS revoked_ms,
            (extract(epoch FROM token.expires_at - now()) * 1000)::float8 AS remaining_ms
          FROM token JOIN users ON users.id = token.user_id`
        const found = (yield* Effect.orDie(decodeTokenRows(rows)))[0]
        if (found === undefined) return unknownToken
        if (found.revoked_ms !== null) {
          return { identity: { _tag: "Revoked", revokedAt: new Date(found.revoked_ms) }, trustFor: Duration.zero } satisfies Lookup
        }
        if (found.expired) {
          const identity: TokenIdentity = { _tag: "Expired", expiresAt: new Date(found.expires_ms ?? 0), session: found.kind === "session" }
          return { identity, trustFor: Duration.zero } satisfies Lookup
        }
        // A token that expires is trusted from the cache only for what is left of it, so it stops working at its expiry.
        const trustFor = found.remaining_ms === null
          ? authenticationFreshFor
          : Duration.min(authenticationFreshFor, Duration.millis(Math.max(0, found.remaining_ms)))
        const identity: TokenIdentity = {
          _tag: "Valid",
          user: userOf(found),
          token: { id: found.token_id, name: found.token_name, scope: found.scope }
        }
        return { identity, trustFor } satisfies Lookup
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
    const revokeToken = Effect.fn("Accounts.revokeToken")(function*(tokenId: number) {
      const revoked = yield* sql<{ token_sha256: string }>`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE id = ${tokenId} RETURNING token_sha256`
      const tokenSha256 = revoked[0]?.token_sha256
      if (tokenSha256 === undefined) return yield* new AccountNotFound({ message: `there is no token ${tokenId}` })
      // This process stops trusting it at once; others within authenticationFreshFor.
      yield* Cache.invalidate(known, tokenSha256)
      const info = yield* tokenById(tokenId)
      if (info === undefined) return yield* new AccountNotFound({ message: `there is no token ${tokenId}` })
      return tokenInfoOf(info)
    }, sqlErrorsAreDefects)
    const authenticate = Effect.fn("Accounts.authenticate")(function*(token: Redacted.Redacted<string>) {
      const identity = yield* identify(token)
      return identity._tag === "Valid" ? Option.some(identity.user) : Option.none()
    })

    const issueToken = Effect.fn("Accounts.issueToken")(function*(
      userName: string,
      options?: { readonly admin?: boolean; readonly name?: string; readonly scope?: TokenScope }
    ) {
      const name = yield* userNameOf(userName)
      const tokenName = yield* tokenNameOf(options?.name ?? "cli")
      const token = newToken()
      const rows = yield* sql.withTransaction(Effect.gen(function*() {
        const users = yield* sql`INSERT INTO users (name, is_admin) VALUES (${name}, ${options?.admin ?? false})
          ON CONFLICT (name) DO UPDATE SET is_admin = users.is_admin OR EXCLUDED.is_admin
          RETURNING id, name, is_admin`
        const user = users[0]!
        // An administrator's token has the admin scope, anyone else's submit, unless less was asked for.
        const full: TokenScope = user["is_admin"] === true ? "admin" : "submit"
        const scope = options?.scope !== undefined && scopeAllows(full, options.scope) ? options.scope : full
        yield* sql`INSERT INTO api_tokens (user_id, token_sha256, name, scope)
          VALUES (${user["id"] as number}, ${sha256(Redacted.value(token))}, ${tokenName}, ${scope})`
        return users
      }))
      const users = yield* Effect.orDie(decodeUsers(rows))
      return { user: users[0]!, token }
    }, sqlErrorsAreDefects)

    const tokenById = (tokenId: number) =>
      sql.unsafe(`SELECT ${tokenColumns} FROM api_tokens JOIN users ON users.id = api_tokens.user_id WHERE api_tokens.id = $1`, [tokenId])
        .pipe(Effect.flatMap((rows) => Effect.orDie(decodeTokenInfoRows(rows))), Effect.map((rows) => rows[0]))

    const createUser = Effect.fn("Accounts.createUser")(function*(userName: string, options: { readonly admin: boolean }) {
      const name = yield* userNameOf(userName)
      const rows = yield* sql`INSERT INTO users (name, is_admin) VALUES (${name}, ${options.admin}) ON CONFLICT (name) DO NOTHING
        RETURNING id, name, is_admin, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms, 0 AS active_tokens`
      const created = (yield* Effect.orDie(decodeAccountUserRows(rows)))[0]
      if (created === undefined) return yield* new AccountConflict({ message: `a user named "${name}" exists already` })
      return accountUserOf(created)
    }, sqlErrorsAreDefects)

    const listUsers = Effect.gen(function*() {
      const rows = yield* sql`SELECT users.id, users.name, users.is_admin, (extract(epoch FROM users.created_at) * 1000)::float8 AS created_ms,
          (SELECT count(*)::int FROM api_tokens WHERE api_tokens.user_id = users.id AND api_tokens.revoked_at IS NULL
            AND (api_tokens.expires_at IS NULL OR api_tokens.expires_at > now())) AS active_tokens
        FROM users ORDER BY users.name`
      return (yield* Effect.orDie(decodeAccountUserRows(rows))).map(accountUserOf)
    }).pipe(sqlErrorsAreDefects, Effect.withSpan("Accounts.listUsers"))

    const issueUserToken = Effect.fn("Accounts.issueUserToken")(function*(request: {
      readonly user: string
      readonly name: string
      readonly scope: TokenScope
      readonly expiresAt: Option.Option<Date>
    }) {
      const tokenName = yield* tokenNameOf(request.name)
      const expiresAt = Option.getOrNull(request.expiresAt)
      if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
        return yield* new AccountsError({ message: `the expiry ${expiresAt.toISOString()} is past` })
      }
      const token = newToken()
      const users = yield* Effect.orDie(decodeUsers(yield* sql`SELECT id, name, is_admin FROM users WHERE name = ${request.user.trim()}`))
      const user = users[0]
      if (user === undefined) return yield* new AccountNotFound({ message: `there is no user named "${request.user.trim()}"` })
      if (request.scope === "admin" && !user.is_admin) {
        return yield* new AccountsError({ message: `"${user.name}" is not an administrator: their tokens can have the read or submit scope` })
      }
      const inserted = yield* sql<{ id: number }>`INSERT INTO api_tokens (user_id, token_sha256, name, scope, expires_at)
        VALUES (${user.id}, ${sha256(Redacted.value(token))}, ${tokenName}, ${request.scope}, ${expiresAt})
        RETURNING id`
      const info = yield* tokenById(inserted[0]!.id)
      if (info === undefined) return yield* Effect.die(new Error("the token just issued is missing"))
      return { info: tokenInfoOf(info), token }
    }, sqlErrorsAreDefects)

    const listTokens = Effect.fn("Accounts.listTokens")(function*(filter: { readonly user: Option.Option<string> }) {
      const user = Option.getOrNull(filter.user)
      const rows = yield* sql.unsafe(
        `SELECT ${tokenColumns} FROM api_tokens JOIN users ON users.id = api_tokens.user_id
          WHERE ($1::text IS NULL OR users.name = $1::text) ORDER BY api_tokens.id DESC`,
        [user]
      )
      return (yield* Effect.orDie(decodeTokenInfoRows(rows))).map(tokenInfoOf)
    }, sqlErrorsAreDefects)

    const bootstrapLocalToken = Effect.fn("Accounts.bootstrapLocalToken")(function*(home: string) {
      // Serialised across processes, so two services starting at once create one local user and one token file.
      return yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(hashtextextended('fishcloud:bootstrap-token', 0))`
        const existing = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM api_tokens`
        if ((existing[0]?.n ?? 0) > 0) return Option.none<LocalToken>()
        const issued = yield* issueToken(localUserName, { admin: true, name: "first start" })
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
            session AS (INSERT INTO api_tokens (user_id, token_sha256, kind, name, scope, expires_at)
              SELECT code.user_id, ${sha256(Redacted.value(token))}, 'session', 'dashboard session',
                CASE WHEN users.is_admin THEN 'admin' ELSE 'submit' END,
                now() + ${Duration.toMillis(sessionTtl)}::float8 * interval '1 millisecond'
              FROM code JOIN users ON users.id = code.user_id RETURNING user_id, expires_at)
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

    return Accounts.of({
      authenticate,
      identify,
      issueToken,
      createUser,
      listUsers,
      issueUserToken,
      listTokens,
      revokeToken,
      bootstrapLocalToken,
      createSignInCode,
      redeemSignInCode
    })
  })
)
