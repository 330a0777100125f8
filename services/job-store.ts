/**
 * The job repository: every read and write of `simulation_jobs`, `model_routing` and `idempotency_keys` that is not
 * a status transition or an event (those are the `JobJournal`'s, `services/job-journal.ts`). Reads are always scoped to the owner, so another
 * user's job looks exactly like a missing one.
 */
import { Context, type Effect, type Option } from "effect"
import type { SqlError } from "effect/sql"
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

/** A key claimed by a request that never finished (its process died) is taken over after this long. */
export const abandonedIdempotencyClaimSeconds = 60

export type IdempotencyClaim =
  | { readonly _tag: "Claimed" }
  | { readonly _tag: "InFlight" }
  | { readonly _tag: "Mismatch" }
  | { readonly _tag: "Replay"; readonly status: number; readonly body: unknown }

export class JobStore extends Context.Service<JobStore, {
  /** Whether the database answers at all (a trivial query). */
  readonly ping: Effect.Effect<void, SqlError.SqlError>
  /**
   * Runs `effect` in one database transaction: every store call inside it, and a lifecycle start (which joins the
   * caller's transaction), commit together or not at all.
   */
  readonly withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError.SqlError, R>
  readonly get: (owner: UserId, id: JobId) => Effect.Effect<Option.Option<Job>, SqlError.SqlError>
  readonly list: (owner: UserId, page: number, perPage: number) => Effect.Effect<JobPage, SqlError.SqlError>
  /** Deletes the row; returns false when the owner has no such job. */
  readonly delete: (owner: UserId, id: JobId) => Effect.Effect<boolean, SqlError.SqlError>
  readonly report: (owner: UserId, id: JobId) => Effect.Effect<Option.Option<JobReport>, SqlError.SqlError>

  /**
   * Serialises admissions of the same (owner, seed, goal, tier) for the rest of the current transaction, then
   * returns a live identical job created within the window, other than `excluding`, if any. Race-free.
   */
  readonly lockAndFindDuplicate: (
    owner: UserId,
    job: NewJob,
    windowSeconds: number,
    excluding: Option.Option<JobId>
  ) => Effect.Effect<Option.Option<JobId>, SqlError.SqlError>
  readonly routing: (tier: Tier) => Effect.Effect<Option.Option<ModelRouting>, SqlError.SqlError>
  readonly listRouting: Effect.Effect<ReadonlyArray<ModelRouting>, SqlError.SqlError>
  readonly setRouting: (routing: ModelRouting) => Effect.Effect<ModelRouting, SqlError.SqlError>
  /** Inserts a PENDING job with its routing snapshot and its first event. */
  readonly insertPending: (
    owner: UserId,
    job: NewJob,
    routing: ModelRouting,
    retryOf: Option.Option<JobId>
  ) => Effect.Effect<JobId, SqlError.SqlError>

  readonly insertDraft: (owner: UserId, draft: DraftCreate) => Effect.Effect<JobId, SqlError.SqlError>
  /** Applies the present fields to a DRAFT row; returns false when the row is no longer a draft. */
  readonly updateDraft: (owner: UserId, id: JobId, update: DraftUpdate) => Effect.Effect<boolean, SqlError.SqlError>
  /** Moves a complete DRAFT to PENDING with its routing snapshot; returns false when it is not a draft any more. */
  readonly launchDraft: (id: JobId, routing: ModelRouting) => Effect.Effect<boolean, SqlError.SqlError>

  readonly claimIdempotencyKey: (
    owner: UserId,
    key: string,
    requestSha256: string
  ) => Effect.Effect<IdempotencyClaim, SqlError.SqlError>
  readonly completeIdempotencyKey: (
    owner: UserId,
    key: string,
    status: number,
    body: unknown
  ) => Effect.Effect<void, SqlError.SqlError>
  readonly releaseIdempotencyKey: (owner: UserId, key: string) => Effect.Effect<void, SqlError.SqlError>

  /** Up to `limit` events of a job with `seq > after`, oldest first (the caller checked ownership). */
  readonly eventsAfter: (id: JobId, after: number, limit: number) => Effect.Effect<ReadonlyArray<StoredEvent>, SqlError.SqlError>
  /** The newest event's seq and the status of each job that still exists, in one read (the event stream's poller). */
  readonly eventHeads: (
    ids: ReadonlyArray<JobId>
  ) => Effect.Effect<ReadonlyMap<JobId, { readonly seq: number; readonly status: JobStatus }>, SqlError.SqlError>
  /** Every pod ever requested for the job, oldest first, with its seconds and cost so far. */
  readonly pods: (id: JobId) => Effect.Effect<ReadonlyArray<TimelinePod>, SqlError.SqlError>
}>()("fishcloud/services/JobStore") {}
