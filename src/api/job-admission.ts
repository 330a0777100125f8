/**
 * The one admission routine behind every path that makes a live job (create, retry, draft launch): demo mode,
 * seed length, the jobs starting (MAX_QUEUED_JOBS: refused, not queued, past it), the race-free
 * duplicate window, the user's quotas (live jobs, monthly spend: read under a per-user lock, so two creates never both
 * take the last slot; a user without limits takes none) and the tier's routing are checked, then the row is written and the lifecycle started in ONE
 * transaction, so a failed start leaves no row behind.
 */
import { Duration, Effect, Option } from "effect"
import { JobLifecycle } from "../../services/job-lifecycle.ts"
import { JobStore, type NewJob } from "../../services/job-store.ts"
import { type AdmissionUse, Quotas } from "../../services/quotas.ts"
import { type ServiceConfig, Settings } from "../config.ts"
import type { JobId } from "../domain/ids.ts"
import { countAdmissionRefused, recordQueuedJobs } from "../metrics.ts"
import {
  BadRequestProblem,
  DemoMode,
  DuplicateJob,
  LifecycleUnavailable,
  LiveJobLimit,
  RoutingMissing,
  ServiceBusy,
  SpendCapReached,
  StatusConflict
} from "./api-errors.ts"
import { busyRetryAfter } from "./limits.ts"
import type { UserQuotas } from "../domain/quota.ts"
import type { User } from "../domain/user.ts"

/** Counted in code points, like Postgres' length(): an emoji is one character. */
export const characterCount = (text: string) => {
  let count = 0
  for (const _ of text) count++
  return count
}

export const seedTooLong = (maxSeedChars: number) =>
  new BadRequestProblem({
    detail: `seed_text exceeds the maximum of ${maxSeedChars} characters`,
    errors: [{ path: ["payload", "seed_text"], message: `must be at most ${maxSeedChars} characters` }]
  })

/** The checks before any write: demo mode, seed length, and back-pressure (too many jobs starting). */
const checkRequest = Effect.fn("JobAdmission.checkRequest")(function*(seedText: string) {
  const settings = yield* Settings
  if (settings.demoMode) return yield* new DemoMode({})
  if (characterCount(seedText) > settings.maxSeedChars) return yield* seedTooLong(settings.maxSeedChars)
  const queued = yield* (yield* JobStore).queuedJobs
  yield* recordQueuedJobs(queued)
  if (queued >= settings.maxQueuedJobs) {
    yield* countAdmissionRefused()
    const retryAfter = Duration.toSeconds(busyRetryAfter)
    return yield* new ServiceBusy({
      queued_jobs: queued,
      max_queued_jobs: settings.maxQueuedJobs,
      retry_after_seconds: retryAfter,
      detail: `${queued} jobs are starting (waiting for a runner or a pod; MAX_QUEUED_JOBS=${settings.maxQueuedJobs}); try again in ${retryAfter} s`
    })
  }
})

/** A setting's 0 means no limit; a quota's null does. */
const settingLimit = (value: number) => value === 0 ? null : value

/**
 * The quotas that apply to `user`: their own when an administrator set them, else the DEFAULT_* settings (an
 * administrator has no spend cap by default).
 */
export const effectiveQuotas = (settings: ServiceConfig, user: User, own: Option.Option<UserQuotas>): UserQuotas =>
  Option.getOrElse(own, () => ({
    max_live_jobs: settingLimit(settings.defaultMaxLiveJobs),
    max_live_jobs_large: settingLimit(settings.defaultMaxLiveJobsLarge),
    monthly_spend_cap_usd: user.is_admin ? null : Option.getOrNull(settings.defaultMonthlySpendCapUsd)
  }))

/** Rounded to the cent for people (the comparison uses the exact figure). */
const usd = (amount: number) => `$${amount.toFixed(2)}`

/** Refuses a job of `tier` that `use` leaves no room for: the spend cap first (402), then the live-job limits (429). */
const checkQuotas = (quotas: UserQuotas, use: AdmissionUse, tier: NewJob["tier"]) =>
  Effect.gen(function*() {
    const cap = quotas.monthly_spend_cap_usd
    if (cap !== null && Option.isSome(use.spend)) {
      const spend = use.spend.value
      const spent = spend.gpu_cost_usd + spend.llm_cost_usd
      if (spent >= cap) {
        return yield* new SpendCapReached({
          limit: "monthly_spend_cap_usd",
          monthly_spend_cap_usd: cap,
          month_spend_usd: spent,
          resets_at: spend.resets_at,
          detail: `Your jobs of ${spend.month} have cost ${usd(spent)} of your monthly cap of ${usd(cap)}; ` +
            `new jobs can start again at ${spend.resets_at}`
        })
      }
    }
    const refuse = (limit: "max_live_jobs" | "max_live_jobs_large", max: number, live: ReadonlyArray<{ readonly id: JobId }>, what: string) =>
      new LiveJobLimit({
        limit,
        max_live_jobs: max,
        live_jobs: live.length,
        live_job_ids: live.map((job) => job.id),
        detail: `You have ${live.length} live ${what} (your limit is ${max}); another can start when one of them ` +
          `(${live.map((job) => job.id).join(", ") || "none"}) completes, fails or is cancelled`
      })
    if (quotas.max_live_jobs !== null && use.live.length >= quotas.max_live_jobs) {
      return yield* refuse("max_live_jobs", quotas.max_live_jobs, use.live, "jobs")
    }
    const large = use.live.filter((job) => job.tier === "large")
    if (tier === "large" && quotas.max_live_jobs_large !== null && large.length >= quotas.max_live_jobs_large) {
      return yield* refuse("max_live_jobs_large", quotas.max_live_jobs_large, large, "large jobs")
    }
  })

export type Admission =
  | { readonly _tag: "New"; readonly retryOf: Option.Option<JobId> }
  | { readonly _tag: "Draft"; readonly draftId: JobId }

/** Admits `job` for `user`; returns the id of the PENDING job whose lifecycle has started. */
export const admitJob = Effect.fn("JobAdmission.admit")(function*(user: User, job: NewJob, admission: Admission) {
  const settings = yield* Settings
  const store = yield* JobStore
  const lifecycle = yield* JobLifecycle
  const quotas = yield* Quotas
  yield* checkRequest(job.seed_text)

  const routingFor = (job: NewJob) =>
    store.routing(job.tier).pipe(Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new RoutingMissing({ tier: job.tier, detail: `No model routing configured for tier: ${job.tier}` })),
      onSome: Effect.succeed
    })))

  return yield* store.withTransaction(Effect.gen(function*() {
    // A draft is moved to PENDING first: that locks its row, so a second launch racing this one waits and then
    // finds it is no longer a draft.
    if (admission._tag === "Draft") {
      const routing = yield* routingFor(job)
      const launched = yield* store.launchDraft(admission.draftId, routing)
      if (!launched) {
        return yield* new StatusConflict({ job_status: "PENDING", detail: `Job ${admission.draftId} is not a draft any more` })
      }
    }
    const ownId = admission._tag === "Draft" ? Option.some(admission.draftId) : Option.none()
    const duplicate = yield* store.lockAndFindDuplicate(user.id, job, settings.duplicateWindowSeconds, ownId)
    if (Option.isSome(duplicate)) {
      return yield* new DuplicateJob({
        existing_job_id: duplicate.value,
        detail: `Duplicate job: an identical job is already in flight (job ${duplicate.value})`
      })
    }
    // After the duplicate check (an identical job in flight answers 409, not a quota), under the user's lock. A user
    // without limits takes no lock: their creates need not wait for each other. The month's spend is summed only
    // under a spend cap.
    const limits = effectiveQuotas(settings, user, yield* quotas.stored(user.id))
    if (limits.monthly_spend_cap_usd !== null || limits.max_live_jobs !== null || limits.max_live_jobs_large !== null) {
      const use = yield* quotas.lockAndReadUse(user.id, ownId, limits.monthly_spend_cap_usd !== null)
      yield* checkQuotas(limits, use, job.tier)
    }
    const jobId = admission._tag === "Draft"
      ? admission.draftId
      : yield* store.insertPending(user.id, job, yield* routingFor(job), admission.retryOf)
    yield* lifecycle.start(jobId).pipe(
      Effect.tapError((error) => Effect.logError("could not start the job's lifecycle", error)),
      Effect.mapError(() => new LifecycleUnavailable({ detail: "Failed to queue simulation job" }))
    )
    return jobId
  }))
})
