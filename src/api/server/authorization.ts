/**
 * The bearer-token check on every authenticated route, in one place: an unknown or missing token is a 401 problem;
 * so is an expired or revoked one, whose detail says so (the dashboard then returns to its sign-in page). A valid
 * token whose scope is below what the endpoint needs (`requiredScope`) is a 403 naming the scope needed. Every write
 * request that passes authentication (refused for its scope or not) is recorded in the audit log.
 */
import { Effect, Layer } from "effect"
import { Accounts, scopeAllows, type TokenIdentity } from "../../../services/accounts.ts"
import { Audit } from "../../../services/audit.ts"
import { Unauthorized } from "../api-errors.ts"
import { Authorization, CurrentUser, InsufficientScope, isWrite, requiredScope } from "../security.ts"
import { recordWrite } from "./audit-trail.ts"

/** The 401 of a token that does not work, saying why when it is known. */
const refusal = (identity: Exclude<TokenIdentity, { readonly _tag: "Valid" }>) => {
  switch (identity._tag) {
    case "Expired":
      return identity.session
        ? new Unauthorized({ detail: "Your session expired; sign in again" })
        : new Unauthorized({ detail: `This token expired at ${identity.expiresAt.toISOString()}` })
    case "Revoked":
      return new Unauthorized({ detail: `This token was revoked (at ${identity.revokedAt.toISOString()})` })
    case "Unknown":
      return new Unauthorized({})
  }
}

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const audit = yield* Audit
    return Authorization.of({
      bearer: Effect.fn("Authorization.bearer")(function*(httpEffect, { credential, endpoint, group }) {
        const identity = yield* accounts.identify(credential)
        if (identity._tag !== "Valid") return yield* refusal(identity)
        const { user, token } = identity
        yield* Effect.annotateCurrentSpan({ "user.id": user.id, "token.scope": token.scope })
        const audited = isWrite(endpoint.method)
          ? { user, token, method: endpoint.method, route: endpoint.path, group: group.identifier, endpoint: endpoint.identifier }
          : undefined
        const needed = requiredScope(endpoint, group)
        if (!scopeAllows(token.scope, needed)) {
          if (audited !== undefined) yield* recordWrite(audited, 403).pipe(Effect.provideService(Audit, audit))
          return yield* new InsufficientScope({
            required_scope: needed,
            token_scope: token.scope,
            detail: `This needs a token with the ${needed} scope; this token ("${token.name}") has the ${token.scope} scope`
          })
        }
        // The administrator role travels only with an admin-scoped token.
        const current = { ...user, is_admin: user.is_admin && token.scope === "admin", token }
        const answered = Effect.provideService(httpEffect, CurrentUser, current)
        if (audited === undefined) return yield* answered
        return yield* answered.pipe(
          Effect.onExit((exit) => recordWrite(audited, exit).pipe(Effect.provideService(Audit, audit)))
        )
      })
    })
  })
)
