/**
 * Quotas and usage as the API shows them: a user's limits (null = no limit), and their use of a month against them.
 * The rules that apply them are admission's (`src/api/job-admission.ts`); the figures come from `Quotas`.
 */
import { Schema } from "effect"

/** A live-job limit: null = no limit, 0 = no live job at all (a suspended user). */
const LiveJobLimit = Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 })))

/** A user's quotas. Null = no limit. */
export const UserQuotas = Schema.Struct({
  /** Live jobs (PENDING to REPORTING) at once, every tier together. */
  max_live_jobs: LiveJobLimit,
  /** Live jobs of the large tier at once. */
  max_live_jobs_large: LiveJobLimit,
  /** GPU + LLM spend in USD of the jobs created in one calendar month (UTC). */
  monthly_spend_cap_usd: Schema.NullOr(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000_000 })))
})
export type UserQuotas = typeof UserQuotas.Type

/** Whose quotas apply: the user's own (`set` by an administrator) or the DEFAULT_* settings. */
const QuotaSource = Schema.Literals(["set", "default"])

/** `GET`/`PUT /api/admin/quotas/:user`. */
export const QuotaView = Schema.Struct({ user: Schema.String, source: QuotaSource, quotas: UserQuotas })
export type QuotaView = typeof QuotaView.Type

/** `GET /api/usage`: a user's live jobs now and the spend of the jobs they created in `month`. */
export const Usage = Schema.Struct({
  user: Schema.String,
  /** `YYYY-MM`, UTC. */
  month: Schema.String,
  /** When the month's spend stops counting (the first of the next month, UTC, ISO 8601). */
  resets_at: Schema.String,
  live_jobs: Schema.Int,
  live_large_jobs: Schema.Int,
  jobs_created: Schema.Int,
  gpu_cost_usd: Schema.Number,
  llm_cost_usd: Schema.Number,
  spend_usd: Schema.Number,
  quota_source: QuotaSource,
  quotas: UserQuotas
})
export type Usage = typeof Usage.Type
