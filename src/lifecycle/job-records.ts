/**
 * The lifecycle's reads and writes of a job and its pods. Status changes go through `src/domain/transitions.ts`;
 * everything here is idempotent (activities re-run after a crash) and guarded against terminal rows.
 */
import { Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { countPodCreated, countPodTerminated } from "../metrics.ts"
import type { JobId } from "../domain/ids.ts"
import { Citation, ModelRouting } from "../domain/job.ts"
import { Market } from "../domain/market.ts"
import { JobStatus, terminalStatuses } from "../domain/status.ts"
import { Tier } from "../domain/tier.ts"
import { appendEvent } from "../domain/transitions.ts"

/** What the lifecycle needs of a job; large text (seed) is read where it is used, not journaled. */
export const JobFacts = Schema.Struct({
  id: Schema.Int,
  status: JobStatus,
  tier: Tier,
  goal: Schema.String,
  enrich_web: Schema.Boolean,
  forecast_days: Schema.Int,
  routing: ModelRouting
})
export type JobFacts = typeof JobFacts.Type

const decodeFacts = Schema.decodeUnknownEffect(Schema.Array(JobFacts))
const decodeMarkets = Schema.decodeUnknownEffect(Schema.NullOr(Schema.Array(Market)))

const notTerminal = (sql: SqlClient.SqlClient) => sql`status NOT IN ${sql.in(terminalStatuses)}`

export const loadFacts = Effect.fn("JobRecords.loadFacts")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`SELECT id, status, tier, goal, enrich_web, forecast_days, routing
    FROM simulation_jobs WHERE id = ${jobId} AND tier IS NOT NULL AND goal IS NOT NULL AND routing IS NOT NULL`
  const facts = yield* Effect.orDie(decodeFacts(rows))
  return Option.fromNullishOr(facts[0])
})

export const currentStatus = Effect.fn("JobRecords.currentStatus")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ status: JobStatus }>`SELECT status FROM simulation_jobs WHERE id = ${jobId}`
  return Option.fromNullishOr(rows[0]?.status)
})

/** The text the pod simulates: the seed, plus the background research when there is some. */
export const simulationSeed = Effect.fn("JobRecords.simulationSeed")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ seed_text: string; enriched_seed: string | null }>`
    SELECT seed_text, enriched_seed FROM simulation_jobs WHERE id = ${jobId}`
  const row = rows[0]
  if (row === undefined) return ""
  return row.enriched_seed === null || row.enriched_seed.trim() === ""
    ? row.seed_text
    : `${row.seed_text}\n\n--- Background Research ---\n${row.enriched_seed}`
})

export const saveEnrichment = Effect.fn("JobRecords.saveEnrichment")(function*(
  jobId: JobId,
  summary: string,
  citations: ReadonlyArray<typeof Citation.Type>
) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs SET enriched_seed = ${summary}, enrichment_citations = ${JSON.stringify(citations)}::jsonb,
    updated_at = now() WHERE id = ${jobId} AND ${notTerminal(sql)}`
})

export const saveMarkets = Effect.fn("JobRecords.saveMarkets")(function*(jobId: JobId, markets: ReadonlyArray<Market>) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs SET markets_config = ${JSON.stringify(markets)}::jsonb, updated_at = now()
    WHERE id = ${jobId} AND ${notTerminal(sql)}`
})

export const loadMarkets = Effect.fn("JobRecords.loadMarkets")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ markets_config: unknown }>`SELECT markets_config FROM simulation_jobs WHERE id = ${jobId}`
  return (yield* Effect.orDie(decodeMarkets(rows[0]?.markets_config ?? null))) ?? []
})

/** Writes the stage (and an event) only when it changes. */
export const setPipelineStage = Effect.fn("JobRecords.setPipelineStage")(function*(jobId: JobId, stage: number) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`UPDATE simulation_jobs SET pipeline_stage = ${stage}, updated_at = now()
    WHERE id = ${jobId} AND ${notTerminal(sql)} AND pipeline_stage IS DISTINCT FROM ${stage} RETURNING id`
  if (rows.length > 0) yield* appendEvent(jobId, "stage", { stage })
})

export const saveLiveStatus = Effect.fn("JobRecords.saveLiveStatus")(function*(jobId: JobId, live: object) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`UPDATE simulation_jobs SET live_status = ${JSON.stringify(live)}::jsonb, updated_at = now()
    WHERE id = ${jobId} AND ${notTerminal(sql)} RETURNING id`
  if (rows.length > 0) yield* appendEvent(jobId, "progress", live as Record<string, unknown>)
})

/** Results that never go through the workflow journal: written by the activity that read them. */
export const saveResults = Effect.fn("JobRecords.saveResults")(function*(
  jobId: JobId,
  results: { readonly chatLog: unknown; readonly graph: unknown; readonly structured: unknown }
) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs SET result_chat_log = ${JSON.stringify(results.chatLog)}::jsonb,
    result_graph = ${JSON.stringify(results.graph)}::jsonb, result_structured = ${JSON.stringify(results.structured)}::jsonb,
    updated_at = now() WHERE id = ${jobId} AND ${notTerminal(sql)}`
})

export const saveReport = Effect.fn("JobRecords.saveReport")(function*(
  jobId: JobId,
  report: { readonly markdown: string; readonly structured: unknown; readonly keyInsight: string | null }
) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs SET result_report = ${report.markdown},
    result_structured = ${JSON.stringify(report.structured)}::jsonb, key_insight = ${report.keyInsight?.slice(0, 200) ?? null},
    pipeline_stage = 5, updated_at = now() WHERE id = ${jobId} AND status = 'REPORTING'`
})

// ---------------------------------------------------------------------------------------------------------------
// pods

export interface PodRow {
  readonly name: string
  readonly pod_id: string | null
  readonly provider: string
  readonly terminated: boolean
}

export const podRow = Effect.fn("JobRecords.podRow")(function*(jobId: JobId, name: string) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<PodRow>`SELECT name, pod_id, provider, terminated_at IS NOT NULL AS terminated
    FROM pods WHERE job_id = ${jobId} AND name = ${name} ORDER BY id DESC LIMIT 1`
  return Option.fromNullishOr(rows[0])
})

/** One row per pod ever requested, written before the provider is asked (the pod id follows). */
export const recordPodRequested = Effect.fn("JobRecords.recordPodRequested")(function*(
  jobId: JobId,
  provider: string,
  name: string,
  gpuType: string
) {
  const sql = yield* SqlClient.SqlClient
  const existing = yield* podRow(jobId, name)
  if (Option.isSome(existing) && !existing.value.terminated) return
  yield* sql`INSERT INTO pods (job_id, provider, name, gpu_type) VALUES (${jobId}, ${provider}, ${name}, ${gpuType})`
})

export const recordPodCreated = Effect.fn("JobRecords.recordPodCreated")(function*(
  jobId: JobId,
  name: string,
  pod: { readonly id: string; readonly gpu_type: string; readonly cost_per_hour: number }
) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`UPDATE pods SET pod_id = ${pod.id}, gpu_type = ${pod.gpu_type}, cost_per_hour = ${pod.cost_per_hour}
    WHERE job_id = ${jobId} AND name = ${name} AND terminated_at IS NULL AND (pod_id IS NULL OR pod_id = ${pod.id})
    RETURNING id`
  if (rows.length > 0) {
    yield* sql`UPDATE simulation_jobs SET pod_id = ${pod.id}, gpu_provider = (SELECT provider FROM pods WHERE job_id = ${jobId}
      AND name = ${name} ORDER BY id DESC LIMIT 1), updated_at = now() WHERE id = ${jobId}`
    yield* appendEvent(jobId, "pod", { event: "created", pod_id: pod.id, name, gpu_type: pod.gpu_type, cost_per_hour: pod.cost_per_hour })
    yield* countPodCreated(pod)
  }
})

export const recordPodReady = Effect.fn("JobRecords.recordPodReady")(function*(jobId: JobId, podId: string) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`UPDATE pods SET ready_at = now() WHERE job_id = ${jobId} AND pod_id = ${podId} AND ready_at IS NULL
    RETURNING id`
  if (rows.length > 0) yield* appendEvent(jobId, "pod", { event: "ready", pod_id: podId })
})

/** Marks a pod terminated once; returns whether this call did it. */
export const recordPodTerminated = Effect.fn("JobRecords.recordPodTerminated")(function*(
  jobId: JobId,
  podId: string,
  reason: string
) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ gpu_type: string | null; seconds: number | null }>`UPDATE pods SET terminated_at = now(), termination_reason = ${reason}
    WHERE job_id = ${jobId} AND pod_id = ${podId} AND terminated_at IS NULL
    RETURNING id, gpu_type, EXTRACT(EPOCH FROM (terminated_at - requested_at))::float8 AS seconds`
  if (rows.length > 0) yield* appendEvent(jobId, "pod", { event: "terminated", pod_id: podId, reason })
  if (rows[0] !== undefined) yield* countPodTerminated(rows[0])
  return rows.length > 0
})

/** A requested pod whose create never returned an id (the provider refused): closed without a pod. */
export const recordPodAbandoned = Effect.fn("JobRecords.recordPodAbandoned")(function*(
  jobId: JobId,
  name: string,
  reason: string
) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE pods SET terminated_at = now(), termination_reason = ${reason}
    WHERE job_id = ${jobId} AND name = ${name} AND pod_id IS NULL AND terminated_at IS NULL`
})

/** Pods of the job that are not terminated yet (those the workflow's finalizer tears down). */
export const livePods = Effect.fn("JobRecords.livePods")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ pod_id: string | null; name: string }>`SELECT pod_id, name FROM pods
    WHERE job_id = ${jobId} AND terminated_at IS NULL ORDER BY id`
})

/**
 * Provision seconds (first pod requested -> the running pod ready), pipeline seconds (running pod ready -> now)
 * and the GPU cost so far (pod seconds x hourly price), from the pods table.
 */
export const recordTimings = Effect.fn("JobRecords.recordTimings")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs AS job SET
      provision_seconds = timing.provision_seconds,
      pipeline_seconds = timing.pipeline_seconds,
      gpu_cost_usd = timing.cost,
      updated_at = now()
    FROM (
      SELECT
        EXTRACT(EPOCH FROM (max(ready_at) - min(requested_at)))::float8 AS provision_seconds,
        EXTRACT(EPOCH FROM (now() - max(ready_at)))::float8 AS pipeline_seconds,
        COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(terminated_at, now()) - requested_at)) / 3600.0
          * COALESCE(cost_per_hour, 0)) FILTER (WHERE pod_id IS NOT NULL), 0)::float8 AS cost
      FROM pods WHERE job_id = ${jobId}
    ) AS timing
    WHERE job.id = ${jobId}`
})

/** GPU cost recomputed once every pod is terminated, so the final figure covers the whole pod lifetime. */
export const recordFinalCost = Effect.fn("JobRecords.recordFinalCost")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  // Written (and announced) only when it changes, so a release repeated after a replay adds no second event.
  const rows = yield* sql<{ cost: number }>`WITH total AS (
      SELECT COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(terminated_at, now()) - requested_at)) / 3600.0
        * COALESCE(cost_per_hour, 0)), 0)::float8 AS cost
      FROM pods WHERE job_id = ${jobId} AND pod_id IS NOT NULL)
    UPDATE simulation_jobs SET gpu_cost_usd = total.cost FROM total
    WHERE id = ${jobId} AND gpu_cost_usd IS DISTINCT FROM total.cost RETURNING total.cost`
  const changed = rows[0]
  if (changed !== undefined) yield* appendEvent(jobId, "cost", { gpu_cost_usd: changed.cost })
})

export const markSimDataAvailable = Effect.fn("JobRecords.markSimDataAvailable")(function*(jobId: JobId) {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs SET sim_data_available = true, updated_at = now() WHERE id = ${jobId}`
})
