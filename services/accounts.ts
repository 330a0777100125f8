/**
 * Users, their API tokens, and the dashboard's sign-in: one-time sign-in codes exchanged for expiring session
 * tokens. Only a SHA-256 of a token or a code is stored; the token or code itself is returned once.
 *
 * Database failures are defects (turned so once, inside the layer), so no signature carries a database error: a
 * request whose authentication meets one answers 500 with no detail (the log and the request's span keep the error),
 * `tokens create` reports it in one line, and a service's first start fails with it. `AccountsError` is only what
 * the caller can act on.
 */
import { Context, Duration, type Effect, type Option, type Redacted, Schema } from "effect"
import type { User } from "../src/domain/user.ts"

/** A user name out of bounds, or a token file that could not be written. */
export class AccountsError extends Schema.TaggedError<AccountsError>()("AccountsError", {
  message: Schema.String
}) {}

/**
 * A token found valid is trusted for this long per process without asking the database again (every request
 * authenticates; at 1,000 requests a second that was half the service's queries). A user's name or role changed in
 * the database shows within this long.
 */
export const authenticationFreshFor = Duration.seconds(5)

export interface IssuedToken {
  readonly user: User
  readonly token: Redacted.Redacted<string>
}

/** Why a sign-in code was refused: no such code, already exchanged once, or past its expiry. */
export const SignInRefusal = Schema.Literals(["unknown", "used", "expired"])
export type SignInRefusal = typeof SignInRefusal.Type

/** A sign-in code that cannot be exchanged for a session. */
export class SignInRefused extends Schema.TaggedError<SignInRefused>()("SignInRefused", {
  reason: SignInRefusal
}) {}

/** A one-time sign-in code: shown once (in a link), good for one exchange until `expiresAt`. */
export interface IssuedSignInCode {
  readonly user: User
  readonly code: Redacted.Redacted<string>
  readonly expiresAt: Date
}

/** A dashboard session: a bearer token like an API token, refused from `expiresAt` on. */
export interface IssuedSession {
  readonly user: User
  readonly token: Redacted.Redacted<string>
  readonly expiresAt: Date
}

/**
 * What a token may do: `read` only reads; `submit` also creates, launches, retries, cancels, deletes and shares jobs;
 * `admin` also manages users, tokens, routing and quotas (only an administrator's token may have it). Each scope
 * includes the ones before it.
 */
export const TokenScope = Schema.Literals(["read", "submit", "admin"])
export type TokenScope = typeof TokenScope.Type

/** Whether a token of scope `has` may do what needs `needs`. */
export const scopeAllows = (has: TokenScope, needs: TokenScope): boolean =>
  TokenScope.literals.indexOf(has) >= TokenScope.literals.indexOf(needs)

/** The token a request came with, as the audit log and the scope check name it (never the token itself). */
export interface TokenGrant {
  readonly id: number
  readonly name: string
  readonly scope: TokenScope
}

/**
 * What a bearer token is: a user's (valid, with the token's name and scope), a token past its expiry (a session's or
 * an API token's), a revoked one, or nothing known.
 */
export type TokenIdentity =
  | { readonly _tag: "Valid"; readonly user: User; readonly token: TokenGrant }
  | { readonly _tag: "Expired"; readonly expiresAt: Date; readonly session: boolean }
  | { readonly _tag: "Revoked"; readonly revokedAt: Date }
  | { readonly _tag: "Unknown" }

/** A user as the admin API lists them. Times are ISO 8601. */
export const AccountUser = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  admin: Schema.Boolean,
  created_at: Schema.String,
  /** Tokens that still work (neither expired nor revoked), sessions included. */
  active_tokens: Schema.Int
})
export type AccountUser = typeof AccountUser.Type

/** A token as the admin API lists it: never the token, only what it is. Times are ISO 8601. */
export const TokenInfo = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  scope: TokenScope,
  kind: Schema.Literals(["api", "session"]),
  user: Schema.String,
  created_at: Schema.String,
  expires_at: Schema.NullOr(Schema.String),
  last_used_at: Schema.NullOr(Schema.String),
  revoked_at: Schema.NullOr(Schema.String)
})
export type TokenInfo = typeof TokenInfo.Type

/** What `issueUserToken` makes: the token (shown once) and what it is. */
export interface IssuedUserToken {
  readonly info: TokenInfo
  readonly token: Redacted.Redacted<string>
}

/** No such user or token (the admin API answers 404). */
export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", {
  message: Schema.String
}) {}

/** A user of that name exists already (the admin API answers 409). */
export class AccountConflict extends Schema.TaggedError<AccountConflict>()("AccountConflict", {
  message: Schema.String
}) {}

/** What the first start created: the token file's path and the local administrator it belongs to. */
export interface LocalToken {
  readonly file: string
  readonly user: User
}

export class Accounts extends Context.Service<Accounts, {
  /**
   * The user a bearer token belongs to, if any: none for an unknown, expired or revoked token. A found one is
   * remembered for `authenticationFreshFor`, never past the token's expiry.
   */
  readonly authenticate: (token: Redacted.Redacted<string>) => Effect.Effect<Option.Option<User>>
  /**
   * `authenticate`, telling an expired or revoked token from an unknown one (the 401's detail says which), with the
   * token's name and scope. Moves the token's `last_used_at`, at most once a minute.
   */
  readonly identify: (token: Redacted.Redacted<string>) => Effect.Effect<TokenIdentity>
  /**
   * Creates the user when missing and issues a new token for it; fails when the name is empty or too long. The token's
   * scope is `admin` for an administrator, `submit` otherwise, unless `scope` says less.
   */
  readonly issueToken: (
    userName: string,
    options?: { readonly admin?: boolean; readonly name?: string; readonly scope?: TokenScope }
  ) => Effect.Effect<IssuedToken, AccountsError>
  /** Creates a user; fails when one of that name exists or the name is empty or too long. */
  readonly createUser: (
    userName: string,
    options: { readonly admin: boolean }
  ) => Effect.Effect<AccountUser, AccountsError | AccountConflict>
  /** Every user, by name. */
  readonly listUsers: Effect.Effect<ReadonlyArray<AccountUser>>
  /**
   * Issues a named token of `scope` for an existing user, expiring at `expiresAt` when given. Fails when there is no
   * such user, the name is empty or too long, the expiry is past, or `admin` is asked for a user who is not one.
   */
  readonly issueUserToken: (request: {
    readonly user: string
    readonly name: string
    readonly scope: TokenScope
    readonly expiresAt: Option.Option<Date>
  }) => Effect.Effect<IssuedUserToken, AccountsError | AccountNotFound>
  /** Tokens (API tokens and sessions), newest first, of one user when `user` is given. */
  readonly listTokens: (filter: { readonly user: Option.Option<string> }) => Effect.Effect<ReadonlyArray<TokenInfo>>
  /**
   * Revokes a token: from now on it is refused with "revoked" (at once in this process; within
   * `authenticationFreshFor` in others). Revoking again keeps the first revocation's time. Fails when there is no such token.
   */
  readonly revokeToken: (tokenId: number) => Effect.Effect<TokenInfo, AccountNotFound>
  /**
   * On a service with no tokens at all, creates the local administrator and writes its token to
   * `$FISHCLOUD_HOME/token` (mode 0600). Returns the file and the user when it did so; fails when the file cannot be written
   * (and then creates nothing: the user and token are rolled back).
   */
  readonly bootstrapLocalToken: (home: string) => Effect.Effect<Option.Option<LocalToken>, AccountsError>
  /** A one-time sign-in code for an existing user, good for `ttl`; fails when there is no such user. */
  readonly createSignInCode: (userName: string, ttl: Duration.Duration) => Effect.Effect<IssuedSignInCode, AccountsError>
  /**
   * Exchanges a sign-in code for a session token good for `sessionTtl`. The code is marked used in the same
   * statement that finds it, so of two concurrent exchanges one wins and the other is refused as `used`.
   */
  readonly redeemSignInCode: (
    code: Redacted.Redacted<string>,
    sessionTtl: Duration.Duration
  ) => Effect.Effect<IssuedSession, SignInRefused>
}>()("fishcloud/services/Accounts") {}
