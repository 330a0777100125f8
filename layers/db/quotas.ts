/**
 * `Quotas` on Postgres. The per-user lock is a transaction-scoped advisory lock, so it is released by the admission's
 * commit or rollback and holds across every API process. A month's GPU spend counts each job's recorded
 * `gpu_cost_usd`, or, while the job is live, what its pods have cost so far (the same sum as `JobJournal.jobTotals`).
 */
import { Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { type AdmissionUse, type LiveJob, type MonthSpend, Quotas } from "../../services/quotas.ts"
import { JobId, type UserId } from "../../src/domain/ids.ts"
import { UserQuotas } from "../../src/domain/quota.ts"
import { liveStatuses } from "../../src/domain/status.ts"
import { Tier } from "../../src/domain/tier.ts"
import { User } from "../../src/domain/user.ts"
import { errorsAreDefects } from "./sql-defect.ts"

const decodeLive = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ id: JobId, tier: Schema.NullOr(Tier) })))
const decodeQuotas = Schema.decodeUnknownEffect(Schema.Array(UserQuotas))
const decodeUsers = Schema.decodeUnknownEffect(Schema.Array(User))
const MonthSpendRow = Schema.Struct({
  month: Schema.String,
  resets_at: Schema.String,
  jobs_created: Schema.Int,
  gpu_cost_usd: Schema.Number,
  llm_cost_usd: Schema.Number
})
const decodeSpend = Schema.decodeUnknownEffect(Schema.Array(MonthSpendRow))

export const QuotasLive = Layer.effect(
  Quotas,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const liveExcluding = (user: UserId, excluding: Option.Option<JobId>) =>
      sql`SELECT id, tier FROM simulation_jobs
        WHERE user_id = ${user} AND status IN ${sql.in(liveStatuses)} AND id <> ${Option.getOrElse(excluding, () => 0)}
        ORDER BY id`.pipe(Effect.flatMap(decodeLive))

    const liveJobs = Effect.fn("Quotas.liveJobs")(function*(user: UserId) {
      return (yield* liveExcluding(user, Option.none())) as ReadonlyArray<LiveJob>
    }, errorsAreDefects)

    const monthSpend = Effect.fn("Quotas.monthSpend")(function*(user: UserId, month: Option.Option<string>) {
      const rows = yield* sql`WITH bounds AS (
          SELECT m.month,
            (m.month || '-01')::timestamp AT TIME ZONE 'UTC' AS starts,
            ((m.month || '-01')::timestamp + interval '1 month') AT TIME ZONE 'UTC' AS ends
          FROM (SELECT COALESCE(${Option.getOrNull(month)}::text, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')) AS month) m
        ), jobs AS (
          SELECT j.id, j.llm_cost_usd,
            CASE WHEN j.status IN ${sql.in(liveStatuses)} THEN (
              SELECT COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(p.terminated_at, now()) - p.requested_at)) / 3600.0
                * COALESCE(p.cost_per_hour, 0)), 0) FROM pods p WHERE p.job_id = j.id AND p.pod_id IS NOT NULL)
            ELSE COALESCE(j.gpu_cost_usd, 0) END AS gpu
          FROM simulation_jobs j, bounds b
          WHERE j.user_id = ${user} AND j.status <> 'DRAFT' AND j.created_at >= b.starts AND j.created_at < b.ends
          UNION ALL
          -- Deleted jobs still count: deleting gives no spend back.
          SELECT d.job_id, d.llm_cost_usd, d.gpu_cost_usd FROM deleted_job_spend d, bounds b
          WHERE d.user_id = ${user} AND d.job_created_at >= b.starts AND d.job_created_at < b.ends
        )
        SELECT b.month, to_char(b.ends AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS resets_at,
          count(jobs.id)::int AS jobs_created,
          COALESCE(sum(jobs.gpu), 0)::float8 AS gpu_cost_usd,
          COALESCE(sum(jobs.llm_cost_usd), 0)::float8 AS llm_cost_usd
        FROM bounds b LEFT JOIN jobs ON true GROUP BY b.month, b.ends`
      const spend = (yield* decodeSpend(rows))[0]
      if (spend === undefined) return yield* Effect.die(new Error("the month's spend query returned no row"))
      return spend as MonthSpend
    }, errorsAreDefects)

    const stored = Effect.fn("Quotas.stored")(function*(user: UserId) {
      const rows = yield* sql`SELECT max_live_jobs, max_live_jobs_large, monthly_spend_cap_usd::float8 AS monthly_spend_cap_usd
        FROM user_quotas WHERE user_id = ${user}`
      return Option.fromNullishOr((yield* decodeQuotas(rows))[0])
    }, errorsAreDefects)

    const lockAndReadUse = Effect.fn("Quotas.lockAndReadUse")(function*(user: UserId, excluding: Option.Option<JobId>, withSpend: boolean) {
      yield* sql`SELECT pg_advisory_xact_lock(hashtextextended('quota:' || ${user}::text, 0))`
      const live = yield* liveExcluding(user, excluding)
      const spend = withSpend ? Option.some(yield* monthSpend(user, Option.none())) : Option.none()
      return { live, spend } satisfies AdmissionUse
    }, errorsAreDefects)

    const set = Effect.fn("Quotas.set")(function*(user: UserId, quotas: UserQuotas) {
      yield* sql`INSERT INTO user_quotas (user_id, max_live_jobs, max_live_jobs_large, monthly_spend_cap_usd)
        VALUES (${user}, ${quotas.max_live_jobs}, ${quotas.max_live_jobs_large}, ${quotas.monthly_spend_cap_usd})
        ON CONFLICT (user_id) DO UPDATE SET max_live_jobs = EXCLUDED.max_live_jobs,
          max_live_jobs_large = EXCLUDED.max_live_jobs_large, monthly_spend_cap_usd = EXCLUDED.monthly_spend_cap_usd,
          updated_at = now()`
    }, errorsAreDefects)

    const userNamed = Effect.fn("Quotas.userNamed")(function*(name: string) {
      const rows = yield* sql`SELECT id, name, is_admin FROM users WHERE name = ${name}`
      return Option.fromNullishOr((yield* decodeUsers(rows))[0])
    }, errorsAreDefects)

    return Quotas.of({ lockAndReadUse, liveJobs, monthSpend, stored, set, userNamed })
  })
)
