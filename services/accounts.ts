/**
 * Users and their API tokens. Only a SHA-256 of a token is stored; the token itself is returned once.
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

export class Accounts extends Context.Service<Accounts, {
  /** The user a bearer token belongs to, if any (a found one is remembered for `authenticationFreshFor`). */
  readonly authenticate: (token: Redacted.Redacted<string>) => Effect.Effect<Option.Option<User>>
  /** Creates the user when missing and issues a new token for it; fails when the name is empty or too long. */
  readonly issueToken: (userName: string, options?: { readonly admin?: boolean }) => Effect.Effect<IssuedToken, AccountsError>
  /**
   * On a service with no tokens at all, creates the local administrator and writes its token to
   * `$FISHCLOUD_HOME/token` (mode 0600). Returns the file path when it did so; fails when the file cannot be written
   * (and then creates nothing: the user and token are rolled back).
   */
  readonly bootstrapLocalToken: (home: string) => Effect.Effect<Option.Option<string>, AccountsError>
}>()("fishcloud/services/Accounts") {}
