/** Users and their API tokens. Only a SHA-256 of a token is stored; the token itself is returned once. */
import { Context, type Effect, type Option, type Redacted, Schema } from "effect"
import type { User } from "../src/domain/user.ts"

export class AccountsError extends Schema.TaggedError<AccountsError>()("AccountsError", {
  message: Schema.String
}) {}

export interface IssuedToken {
  readonly user: User
  readonly token: Redacted.Redacted<string>
}

export class Accounts extends Context.Service<Accounts, {
  /** The user a bearer token belongs to, if any. */
  readonly authenticate: (token: Redacted.Redacted<string>) => Effect.Effect<Option.Option<User>, AccountsError>
  /** Creates the user when missing and issues a new token for it. */
  readonly issueToken: (userName: string, options?: { readonly admin?: boolean }) => Effect.Effect<IssuedToken, AccountsError>
  /**
   * On a service with no tokens at all, creates the local administrator and writes its token to
   * `$FISHCLOUD_HOME/token` (mode 0600). Returns the file path when it did so.
   */
  readonly bootstrapLocalToken: (home: string) => Effect.Effect<Option.Option<string>, AccountsError>
}>()("fishcloud/services/Accounts") {}
