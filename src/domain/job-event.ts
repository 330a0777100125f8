/**
 * A job's events (`job_events`, one row per change, `seq` gapless per job): written by the `JobJournal`, streamed by
 * `GET /api/jobs/:id/events` (the kind as the SSE `event:`, the data plus `at` as `data:`), read back by the
 * timeline and the CLI, all with these schemas. Decoding ignores fields it does not know, so older rows and newer
 * servers still read.
 */
import { Schema } from "effect"
import { JobStatus } from "./status.ts"

/** A status change; `error` on FAILED and CANCELLED when there is one, `reason` on a cancel. */
export const StatusChanged = Schema.Struct({
  from: Schema.optionalKey(JobStatus),
  to: JobStatus,
  error: Schema.optionalKey(Schema.String),
  reason: Schema.optionalKey(Schema.String)
})

/** The worker's pipeline stage (0 provisioning ... 5 report). */
const StageChanged = Schema.Struct({ stage: Schema.Int })

/** The live status a user sees while the simulation runs. */
export const Progress = Schema.Struct({
  round: Schema.NullOr(Schema.Int),
  max_rounds: Schema.NullOr(Schema.Int),
  /** The last 3 meaningful log lines, oldest first. */
  log_lines: Schema.Array(Schema.String),
  /** The tail of the partial chat log. */
  recent_posts: Schema.Array(Schema.Unknown),
  /** Epoch seconds. */
  updated_at: Schema.Number
})
export type Progress = typeof Progress.Type

const PodChanged = Schema.Union([
  Schema.Struct({
    event: Schema.Literal("created"),
    pod_id: Schema.String,
    name: Schema.String,
    gpu_type: Schema.String,
    cost_per_hour: Schema.Number
  }),
  Schema.Struct({ event: Schema.Literal("ready"), pod_id: Schema.String }),
  Schema.Struct({ event: Schema.Literal("terminated"), pod_id: Schema.String, reason: Schema.String }),
  /** The provider kept refusing to terminate it: the pod may still be up (and billing) until the reaper ends it. */
  Schema.Struct({ event: Schema.Literal("terminate_failed"), pod_id: Schema.String, reason: Schema.String, error: Schema.String })
])

/**
 * A seed enrichment asked for again (`POST /api/jobs/:id/enrich-retry`): requested, then completed (with the new
 * summary's length) or failed (why).
 */
const EnrichmentChanged = Schema.Union([
  Schema.Struct({ event: Schema.Literal("requested") }),
  Schema.Struct({ event: Schema.Literal("completed"), summary_chars: Schema.Int, citations: Schema.Int }),
  Schema.Struct({ event: Schema.Literal("failed"), error: Schema.String })
])

/** The job's GPU cost once every pod is gone. */
const CostSettled = Schema.Struct({ gpu_cost_usd: Schema.Number })

const event = <Kind extends string, Data extends Schema.Top>(kind: Kind, data: Data) =>
  Schema.Struct({ kind: Schema.Literal(kind), data })

/** What happened, without where it sits in the log. */
export const JobEvent = Schema.Union([
  event("status", StatusChanged),
  event("stage", StageChanged),
  event("progress", Progress),
  event("pod", PodChanged),
  event("cost", CostSettled),
  event("enrichment", EnrichmentChanged)
])
export type JobEvent = typeof JobEvent.Type

const stored = <Kind extends string, Data extends Schema.Top>(kind: Kind, data: Data) =>
  Schema.Struct({ seq: Schema.Int, kind: Schema.Literal(kind), data, at: Schema.String })

/** One row of `job_events`: the event, its `seq` and when it was written (`at`, ISO-8601 UTC). */
export const StoredEvent = Schema.Union([
  stored("status", StatusChanged),
  stored("stage", StageChanged),
  stored("progress", Progress),
  stored("pod", PodChanged),
  stored("cost", CostSettled),
  stored("enrichment", EnrichmentChanged)
])
export type StoredEvent = typeof StoredEvent.Type
