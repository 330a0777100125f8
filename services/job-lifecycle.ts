/**
 * Starting and cancelling a job's lifecycle (the durable simulation workflow). `start` is called inside the
 * transaction that writes the job row and must join it: either both the row and the start commit, or neither.
 * `cancel` is the one call that cancels a job.
 */
import { Context, type Effect, Schema } from "effect"
import type { SqlClient } from "effect/sql"
import type { JobId } from "../src/domain/ids.ts"

export class LifecycleError extends Schema.TaggedError<LifecycleError>()("LifecycleError", {
  job_id: Schema.Int,
  message: Schema.String
}) {}

export class JobLifecycle extends Context.Service<JobLifecycle, {
  readonly start: (jobId: JobId) => Effect.Effect<void, LifecycleError, SqlClient.SqlClient>
  /**
   * Moves a live job to CANCELLED (the guarded transition, with `reason` on its event), then stops its execution so
   * its pods are torn down. False, and nothing done, when the job is not live (finished, or missing); a
   * `LifecycleError` when the job is CANCELLED but its execution could not be stopped.
   */
  readonly cancel: (jobId: JobId, reason: string) => Effect.Effect<boolean, LifecycleError>
  /**
   * Enriches the seed of a job that is not live again, in the background: an `enrichment requested` event now, then
   * `completed` or `failed` (the caller checked the job's owner and status).
   */
  readonly enrichAgain: (jobId: JobId) => Effect.Effect<void, LifecycleError>
}>()("fishcloud/services/JobLifecycle") {}
