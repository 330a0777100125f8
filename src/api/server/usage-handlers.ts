/**
 * Handlers of `/api/usage` (a user's live jobs and the month's spend against their quotas; administrators may ask
 * for another user's) and `/api/admin/quotas/:user` (administrators read and set a user's quotas).
 */
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Quotas } from "../../../services/quotas.ts"
import { Settings } from "../../config.ts"
import type { QuotaView, Usage, UserQuotas } from "../../domain/quota.ts"
import type { User } from "../../domain/user.ts"
import { AdminOnly, UserNotFound } from "../api-errors.ts"
import { Api } from "../definition.ts"
import { effectiveQuotas } from "../job-admission.ts"
import { CurrentUser } from "../security.ts"

/** The named user, for an administrator; 403 for anyone else, 404 when there is no such user. */
const adminTarget = Effect.fn("Quotas.adminTarget")(function*(name: string, what: string) {
  const caller = yield* CurrentUser
  if (!caller.is_admin) return yield* new AdminOnly({ detail: `${what} needs an administrator token` })
  const found = yield* (yield* Quotas).userNamed(name)
  if (Option.isNone(found)) return yield* new UserNotFound({ detail: `No user is named "${name}"` })
  return found.value
})

/** The quotas that apply to `user`, and whose they are. */
const quotaView = Effect.fn("Quotas.view")(function*(user: User) {
  const own = yield* (yield* Quotas).stored(user.id)
  return {
    user: user.name,
    source: Option.isSome(own) ? "set" : "default",
    quotas: effectiveQuotas(yield* Settings, user, own)
  } satisfies QuotaView
})

export const UsageHandlers = HttpApiBuilder.group(
  Api,
  "usage",
  Effect.fn(function*(handlers) {
    const quotas = yield* Quotas
    return handlers.handle("get", Effect.fn("Usage.get")(function*({ query }) {
      const user = query.user === undefined ? yield* CurrentUser : yield* adminTarget(query.user, "Another user's usage")
      const live = yield* quotas.liveJobs(user.id)
      const spend = yield* quotas.monthSpend(user.id, Option.fromUndefinedOr(query.month))
      const view = yield* quotaView(user)
      return {
        user: user.name,
        month: spend.month,
        resets_at: spend.resets_at,
        live_jobs: live.length,
        live_large_jobs: live.filter((job) => job.tier === "large").length,
        jobs_created: spend.jobs_created,
        gpu_cost_usd: spend.gpu_cost_usd,
        llm_cost_usd: spend.llm_cost_usd,
        spend_usd: spend.gpu_cost_usd + spend.llm_cost_usd,
        quota_source: view.source,
        quotas: view.quotas
      } satisfies Usage
    }))
  })
)

export const AdminQuotasHandlers = HttpApiBuilder.group(
  Api,
  "adminQuotas",
  Effect.fn(function*(handlers) {
    const quotas = yield* Quotas
    return handlers
      .handle("get", Effect.fn("AdminQuotas.get")(function*({ params }) {
        return yield* quotaView(yield* adminTarget(params.user, "Reading a user's quotas"))
      }))
      .handle("set", Effect.fn("AdminQuotas.set")(function*({ params, payload }) {
        const user = yield* adminTarget(params.user, "Setting a user's quotas")
        yield* quotas.set(user.id, payload satisfies UserQuotas)
        yield* Effect.logInfo(`quotas of ${user.name} set`).pipe(Effect.annotateLogs({ ...payload }))
        return yield* quotaView(user)
      }))
  })
)
