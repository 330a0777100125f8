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

/** What a bearer token is: a user's (valid), a session token past its expiry, or nothing known. */
export type TokenIdentity =
  | { readonly _tag: "Valid"; readonly user: User }
  | { readonly _tag: "Expired" }
  | { readonly _tag: "Unknown" }

/** What the first start created: the token file's path and the local administrator it belongs to. */
export interface LocalToken {
  readonly file: string
  readonly user: User
}

export class Accounts extends Context.Service<Accounts, {
  /**
   * The user a bearer token belongs to, if any: none for an unknown token or an expired session. A found one is
   * remembered for `authenticationFreshFor`, never past the session's expiry.
   */
  readonly authenticate: (token: Redacted.Redacted<string>) => Effect.Effect<Option.Option<User>>
  /** `authenticate`, telling an expired session from an unknown token (the 401's detail says which). */
  readonly identify: (token: Redacted.Redacted<string>) => Effect.Effect<TokenIdentity>
  /** Creates the user when missing and issues a new token for it; fails when the name is empty or too long. */
  readonly issueToken: (userName: string, options?: { readonly admin?: boolean }) => Effect.Effect<IssuedToken, AccountsError>
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
