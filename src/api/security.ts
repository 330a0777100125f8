/**
 * Bearer-token auth for the job routes, and what a token may do. The server implementation is
 * `src/api/server/authorization.ts`: it authenticates, checks the token's scope against what the endpoint needs
 * (`requiredScope`: one rule for every route) and records every write in the audit log.
 */
import { Context, Schema } from "effect"
import { HttpApiError, HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { TokenGrant, TokenScope } from "../../services/accounts.ts"
import type { User } from "../domain/user.ts"
import { Unauthorized } from "./api-errors.ts"

/**
 * Who is calling and with which token. `is_admin` is the user's administrator role as this token carries it: only
 * a token of scope `admin` of an administrator has it.
 */
export class CurrentUser extends Context.Service<CurrentUser, User & { readonly token: TokenGrant }>()("fishcloud/api/CurrentUser") {}

/**
 * The scope an endpoint (or a whole group) needs, when it differs from the rule of `requiredScope`: set it with
 * `.annotate(RequiredScope, "admin")`.
 */
export class RequiredScope extends Context.Service<RequiredScope, TokenScope>()("fishcloud/api/RequiredScope") {}

/**
 * What an endpoint needs: its `RequiredScope` annotation (or its group's); else `admin` under `/api/admin`, `read`
 * for GET and HEAD, `submit` for every other method (every route that changes something).
 */
export const requiredScope = (
  endpoint: { readonly path: string; readonly method: string; readonly annotations: Context.Context<never> },
  group: { readonly annotations: Context.Context<never> }
): TokenScope => {
  const annotated = Context.getOption(endpoint.annotations, RequiredScope)
  if (annotated._tag === "Some") return annotated.value
  const ofGroup = Context.getOption(group.annotations, RequiredScope)
  if (ofGroup._tag === "Some") return ofGroup.value
  if (endpoint.path === "/api/admin" || endpoint.path.startsWith("/api/admin/")) return "admin"
  return isWrite(endpoint.method) ? "submit" : "read"
}

/** Whether a request of this method changes something (and so is recorded in the audit log). */
export const isWrite = (method: string): boolean => method !== "GET" && method !== "HEAD" && method !== "OPTIONS"

const type = (name: string) => `urn:fishcloud:problem:${name}`

/** The token is valid but its scope is below what the route needs; the detail names both. */
export class InsufficientScope extends HttpApiError.Problem<InsufficientScope>()("InsufficientScope", {
  type: type("insufficient-scope"),
  status: 403,
  title: "This token's scope does not allow this"
}, { required_scope: Schema.String, token_scope: Schema.String }) {}

/** No user of that name, or no token of that id (admin API). */
export class AccountMissing extends HttpApiError.Problem<AccountMissing>()("AccountMissing", {
  type: type("account-not-found"),
  status: 404,
  title: "No such user or token"
}) {}

/** A user of that name exists already (admin API). */
export class AccountExists extends HttpApiError.Problem<AccountExists>()("AccountExists", {
  type: type("account-exists"),
  status: 409,
  title: "A user of that name exists already"
}) {}

/** A user or token request that cannot be done as asked (admin API); the detail says why. */
export class AccountRequestRefused extends HttpApiError.Problem<AccountRequestRefused>()("AccountRequestRefused", {
  type: type("account-request-refused"),
  status: 422,
  title: "This user or token request cannot be done"
}) {}

export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: CurrentUser }>()(
  "fishcloud/api/Authorization",
  {
    requiredForClient: true,
    security: { bearer: HttpApiSecurity.bearer },
    error: [Unauthorized, InsufficientScope]
  }
) {}
