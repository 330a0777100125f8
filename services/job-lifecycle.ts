/**
 * Starting and cancelling a job's lifecycle (the durable simulation workflow). `start` is called inside the
 * transaction that writes the job row and must join it: either both the row and the start commit, or neither.
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
   * Stops the job's execution so its pod is torn down. The caller has already moved the job to CANCELLED (the
   * guarded transition), so nothing the execution still writes can revive it. A no-op for a finished job.
   */
  readonly cancel: (jobId: JobId) => Effect.Effect<void, LifecycleError>
}>()("fishcloud/services/JobLifecycle") {}
