/**
 * The job repository: every read and write of `simulation_jobs`, `model_routing` and `idempotency_keys` that is not
 * a status transition or an event (those are the `JobJournal`'s, `services/job-journal.ts`). Reads are always scoped
 * to the owner, so another user's job looks exactly like a missing one.
 *
 * Only the HTTP API uses it. Database failures are defects (turned so once, inside the layer), so no signature
 * carries a database error: a request that meets one answers 500 with no detail, while the log and the request's
 * span keep the error.
 */
import { Context, Duration, type Effect, type Option } from "effect"
import type { JobId, UserId } from "../src/domain/ids.ts"
import type { DraftCreate, DraftUpdate, Job, JobPage, JobReport, ModelRouting } from "../src/domain/job.ts"
import type { Tier } from "../src/domain/tier.ts"
import type { JobStatus } from "../src/domain/status.ts"
import type { StoredEvent } from "../src/domain/job-event.ts"
import type { TimelinePod } from "../src/domain/timeline.ts"

export interface NewJob {
  readonly seed_text: string
  readonly goal: string
  readonly tier: Tier
  readonly enrich_web: boolean
  readonly forecast_days: number
}

/** How long an Idempotency-Key remembers its request and response. */
export const idempotencyKeyTtlHours = 24

/**
 * A list's `total` is counted at most this often per owner (counting 100,000 jobs takes ~40 ms of the database, more
 * than the page itself). This process's own creates and deletes count at once; other processes' within this long.
 */
export const jobCountFreshFor = Duration.seconds(2)

/** Jobs starting are counted at most this often (every create asks; admission back-pressure). */
export const queuedJobsFreshFor = Duration.seconds(1)

/** A key claimed by a request that never finished (its process died) is taken over after this long. */
export const abandonedIdempotencyClaimSeconds = 60

export type IdempotencyClaim =
  | { readonly _tag: "Claimed" }
  | { readonly _tag: "InFlight" }
  | { readonly _tag: "Mismatch" }
  | { readonly _tag: "Replay"; readonly status: number; readonly body: unknown }

export class JobStore extends Context.Service<JobStore, {
  /** Whether the database answers at all (a trivial query): its one call whose database failure is an answer, false. */
  readonly ping: Effect.Effect<boolean>
  /** The migrations this build knows that the database has not applied (another process may be applying them). */
  readonly pendingMigrations: Effect.Effect<ReadonlyArray<string>>
  /**
   * Runs `effect` in one database transaction: every store call inside it, and a lifecycle start (which joins the
   * caller's transaction), commit together or not at all. The caller's errors roll it back and stay typed; a failed
   * BEGIN or COMMIT is a defect like every other database failure.
   */
  readonly withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly get: (owner: UserId, id: JobId) => Effect.Effect<Option.Option<Job>>
  /**
   * One page of the owner's jobs, newest first: the `page`-th, or (keyset, as fast on page 5,000 as on page 1) the
   * one after the job `after`; only jobs in `status` when given. `total` may lag other processes' creates, deletes
   * and status changes by `jobCountFreshFor`.
   */
  readonly list: (
    owner: UserId,
    at: { readonly page: number; readonly after?: JobId | undefined; readonly status?: JobStatus | undefined },
    perPage: number
  ) => Effect.Effect<JobPage>
  /** Deletes the row; returns false when the owner has no such job. */
  readonly delete: (owner: UserId, id: JobId) => Effect.Effect<boolean>
  readonly report: (owner: UserId, id: JobId) => Effect.Effect<Option.Option<JobReport>>

  /**
   * The share token of the owner's COMPLETED job: its existing one, else `token` (stored). None when the owner has
   * no such completed job.
   */
  readonly share: (owner: UserId, id: JobId, token: string) => Effect.Effect<Option.Option<string>>
  /** Revokes the job's share link, if it has one. */
  readonly unshare: (owner: UserId, id: JobId) => Effect.Effect<void>
  /** The job a share token opens, with its report; none for an unknown or revoked token. */
  readonly shared: (token: string) => Effect.Effect<Option.Option<{ readonly job: Job; readonly report: Option.Option<JobReport> }>>

  /**
   * Serialises admissions of the same (owner, seed, goal, tier) for the rest of the current transaction, then
   * returns a live identical job created within the window, other than `excluding`, if any. Race-free.
   */
  readonly lockAndFindDuplicate: (
    owner: UserId,
    job: NewJob,
    windowSeconds: number,
    excluding: Option.Option<JobId>
  ) => Effect.Effect<Option.Option<JobId>>
  /** Jobs starting (`startingStatuses`: PENDING or PROVISIONING, every owner), counted at most every `queuedJobsFreshFor`. */
  readonly queuedJobs: Effect.Effect<number>
  readonly routing: (tier: Tier) => Effect.Effect<Option.Option<ModelRouting>>
  readonly listRouting: Effect.Effect<ReadonlyArray<ModelRouting>>
  readonly setRouting: (routing: ModelRouting) => Effect.Effect<ModelRouting>
  /** Inserts a PENDING job with its routing snapshot and its first event. */
  readonly insertPending: (
    owner: UserId,
    job: NewJob,
    routing: ModelRouting,
    retryOf: Option.Option<JobId>
  ) => Effect.Effect<JobId>

  readonly insertDraft: (owner: UserId, draft: DraftCreate) => Effect.Effect<JobId>
  /** Applies the present fields to a DRAFT row; returns false when the row is no longer a draft. */
  readonly updateDraft: (owner: UserId, id: JobId, update: DraftUpdate) => Effect.Effect<boolean>
  /** Moves a complete DRAFT to PENDING with its routing snapshot; returns false when it is not a draft any more. */
  readonly launchDraft: (id: JobId, routing: ModelRouting) => Effect.Effect<boolean>

  readonly claimIdempotencyKey: (
    owner: UserId,
    key: string,
    requestSha256: string
  ) => Effect.Effect<IdempotencyClaim>
  readonly completeIdempotencyKey: (
    owner: UserId,
    key: string,
    status: number,
    body: unknown
  ) => Effect.Effect<void>
  readonly releaseIdempotencyKey: (owner: UserId, key: string) => Effect.Effect<void>

  /** Up to `limit` events of a job with `seq > after`, oldest first (the caller checked ownership). */
  readonly eventsAfter: (id: JobId, after: number, limit: number) => Effect.Effect<ReadonlyArray<StoredEvent>>
  /** The newest event's seq and the status of each job that still exists, in one read (the event stream's poller). */
  readonly eventHeads: (
    ids: ReadonlyArray<JobId>
  ) => Effect.Effect<ReadonlyMap<JobId, { readonly seq: number; readonly status: JobStatus }>>
  /** Every pod ever requested for the job, oldest first, with its seconds and cost so far. */
  readonly pods: (id: JobId) => Effect.Effect<ReadonlyArray<TimelinePod>>
}>()("fishcloud/services/JobStore") {}
