/**
 * Handlers of `/api/admin/users`, `/api/admin/tokens` and `/api/admin/audit`: users, their tokens and the audit log,
 * so nobody needs database access to manage them. Only admin-scoped tokens reach them (the `Authorization`
 * middleware checks the scope); each write is recorded in the audit log there too.
 */
import { Effect, Option, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Accounts, type AccountsError } from "../../../services/accounts.ts"
import { Audit } from "../../../services/audit.ts"
import { BadRequestProblem } from "../api-errors.ts"
import { Api } from "../definition.ts"
import { AccountExists, AccountMissing, AccountRequestRefused } from "../security.ts"

const refused = (error: AccountsError) => new AccountRequestRefused({ detail: error.message })

/** An ISO 8601 time of a query or payload, or a 422 naming the field. */
const timeOf = (field: string, text: string) => {
  const ms = Date.parse(text)
  return Number.isFinite(ms)
    ? Effect.succeed(new Date(ms))
    : Effect.fail(new AccountRequestRefused({ detail: `${field} is not a time (ISO 8601, e.g. 2027-01-31T00:00:00Z): ${text}` }))
}

export const AdminUsersHandlers = HttpApiBuilder.group(
  Api,
  "adminUsers",
  Effect.fn(function*(handlers) {
    const accounts = yield* Accounts
    return handlers
      .handle("create", ({ payload }) =>
        accounts.createUser(payload.name, { admin: payload.admin ?? false }).pipe(
          Effect.catchTags({
            AccountsError: (error) => Effect.fail(refused(error)),
            AccountConflict: (error) => Effect.fail(new AccountExists({ detail: error.message }))
          })
        ))
      .handle("list", () => accounts.listUsers)
  })
)

export const AdminTokensHandlers = HttpApiBuilder.group(
  Api,
  "adminTokens",
  Effect.fn(function*(handlers) {
    const accounts = yield* Accounts
    return handlers
      .handle("issue", Effect.fn("Admin.issueToken")(function*({ payload }) {
        const expiresAt = payload.expires_at === undefined ? Option.none() : Option.some(yield* timeOf("expires_at", payload.expires_at))
        const issued = yield* accounts.issueUserToken({ user: payload.user, name: payload.name, scope: payload.scope, expiresAt }).pipe(
          Effect.catchTags({
            AccountsError: (error) => Effect.fail(refused(error)),
            AccountNotFound: (error) => Effect.fail(new AccountMissing({ detail: error.message }))
          })
        )
        return { token: Redacted.value(issued.token), info: issued.info }
      }))
      .handle("list", ({ query }) => accounts.listTokens({ user: Option.fromUndefinedOr(query.user) }))
      .handle("revoke", ({ params }) =>
        accounts.revokeToken(params.id).pipe(
          Effect.catchTag("AccountNotFound", (error) => Effect.fail(new AccountMissing({ detail: error.message })))
        ))
  })
)

export const AdminAuditHandlers = HttpApiBuilder.group(
  Api,
  "adminAudit",
  Effect.fn(function*(handlers) {
    const audit = yield* Audit
    return handlers.handle("list", Effect.fn("Admin.audit")(function*({ query }) {
      const sinceMs = query.since === undefined ? undefined : Date.parse(query.since)
      if (sinceMs !== undefined && !Number.isFinite(sinceMs)) {
        return yield* new BadRequestProblem({ detail: `since is not a time (ISO 8601, e.g. 2027-01-31T00:00:00Z): ${query.since}` })
      }
      const since = sinceMs === undefined ? Option.none<Date>() : Option.some(new Date(sinceMs))
      return yield* audit.list({
        user: Option.fromUndefinedOr(query.user),
        job: Option.fromUndefinedOr(query.job),
        since,
        page: query.page ?? 1,
        perPage: query.per_page ?? 50
      })
    }))
  })
)
