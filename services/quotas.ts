/**
 * Per-user quotas and the use they are checked against: live jobs (all tiers, and the large tier on its own) and the
 * GPU + LLM spend of the calendar month (UTC). Admission reads a user's use under a per-user lock held to the end of
 * the caller's transaction, so two creates of one user never both take the last slot. An administrator sets a
 * user's quotas; a user without their own gets the DEFAULT_* settings (resolved by the API, which reads settings).
 *
 * Database failures are defects (turned so once, inside the layer), like the other stores.
 */
import { Context, type Effect, type Option } from "effect"
import type { JobId, UserId } from "../src/domain/ids.ts"
import type { UserQuotas } from "../src/domain/quota.ts"
import type { Tier } from "../src/domain/tier.ts"
import type { User } from "../src/domain/user.ts"

/** The live jobs of a user when a job is admitted (the one being admitted excluded). */
export interface LiveJob {
  readonly id: JobId
  readonly tier: Tier | null
}

/** What a user's jobs created in one month (`YYYY-MM`, UTC) cost, and when the next month starts. */
export interface MonthSpend {
  readonly month: string
  readonly resets_at: string
  readonly jobs_created: number
  readonly gpu_cost_usd: number
  readonly llm_cost_usd: number
}

/** A user's use, read under their lock inside the admission's transaction. */
export interface AdmissionUse {
  readonly live: ReadonlyArray<LiveJob>
  /** This month's spend, when it was asked for (only a spend cap needs it: it sums the month's jobs). */
  readonly spend: Option.Option<MonthSpend>
}

export class Quotas extends Context.Service<Quotas, {
  /**
   * Takes the user's quota lock (held until the caller's transaction ends: call it inside one) and reads their
   * live jobs (without `excluding`, the draft being launched) and, with `withSpend`, this month's spend.
   */
  readonly lockAndReadUse: (user: UserId, excluding: Option.Option<JobId>, withSpend: boolean) => Effect.Effect<AdmissionUse>
  /** The live jobs of a user, now. */
  readonly liveJobs: (user: UserId) => Effect.Effect<ReadonlyArray<LiveJob>>
  /** The spend of a user's jobs created in `month` (`YYYY-MM`; none = this month, UTC). */
  readonly monthSpend: (user: UserId, month: Option.Option<string>) => Effect.Effect<MonthSpend>
  /** The user's own quotas, if an administrator set them. */
  readonly stored: (user: UserId) => Effect.Effect<Option.Option<UserQuotas>>
  /** Sets (replaces) the user's own quotas. */
  readonly set: (user: UserId, quotas: UserQuotas) => Effect.Effect<void>
  /** A user by name (the admin endpoints and `?user=` name users). */
  readonly userNamed: (name: string) => Effect.Effect<Option.Option<User>>
}>()("fishcloud/Quotas") {}
