/**
 * The `MaintenanceStore` on Postgres. `executionExists` reads the cluster engine's own message table (a `run`
 * request per workflow execution, the entity id being the execution id): the one place fishcloud looks at the
 * engine's storage, because the engine's `poll` cannot tell "running" from "never started".
 */
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { type LiveJob, MaintenanceStore, type PodRecord } from "../../services/maintenance-store.ts"
import { errorsAreDefects } from "./sql-defect.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { jobIdOfPodName } from "../../src/domain/pods.ts"
import { type JobStatus, liveStatuses, terminalStatuses } from "../../src/domain/status.ts"
import type { Tier } from "../../src/domain/tier.ts"

export const MaintenanceStoreLive = Layer.effect(MaintenanceStore, Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  const podRecord = Effect.fn("MaintenanceStore.podRecord")(function*(provider: string, pod: { readonly id: string; readonly name: string }) {
    const rows = yield* sql<{
      job_id: JobId
      job_status: JobStatus | null
      requested_at: number
      settled_at: number
      terminated: boolean
      termination_reason: string | null
      current: boolean
    }>`SELECT p.job_id, j.status AS job_status,
        (EXTRACT(EPOCH FROM p.requested_at) * 1000)::float8 AS requested_at,
        (EXTRACT(EPOCH FROM GREATEST(p.requested_at, p.terminated_at,
          CASE WHEN j.status IN ${sql.in(terminalStatuses)} THEN j.updated_at END)) * 1000)::float8 AS settled_at,
        p.terminated_at IS NOT NULL AS terminated, p.termination_reason,
        (p.terminated_at IS NULL AND NOT EXISTS (
          SELECT 1 FROM pods newer WHERE newer.job_id = p.job_id AND newer.id > p.id AND newer.terminated_at IS NULL
        )) AS current
      FROM pods p LEFT JOIN simulation_jobs j ON j.id = p.job_id
      WHERE p.provider = ${provider} AND (p.pod_id = ${pod.id} OR (p.pod_id IS NULL AND p.name = ${pod.name} AND p.terminated_at IS NULL))
      ORDER BY p.id DESC LIMIT 1`
    return Option.map(Option.fromNullishOr(rows[0]), (row): PodRecord => ({ ...row, job_status: Option.fromNullishOr(row.job_status) }))
  }, errorsAreDefects)

  const recordReaped = Effect.fn("MaintenanceStore.recordReaped")(function*(
    provider: string,
    pod: { readonly id: string; readonly name: string; readonly gpu_type: string },
    jobId: JobId | undefined,
    reason: string
  ) {
    const closed = yield* sql`UPDATE pods SET terminated_at = now(), termination_reason = ${`reaped: ${reason}`}, pod_id = ${pod.id}
      WHERE provider = ${provider} AND (pod_id = ${pod.id} OR (pod_id IS NULL AND name = ${pod.name})) AND terminated_at IS NULL
      RETURNING id`
    if (closed.length > 0) return
    const known = yield* sql`SELECT 1 FROM pods WHERE provider = ${provider} AND pod_id = ${pod.id}`
    if (known.length > 0) return
    yield* sql`INSERT INTO pods (job_id, provider, pod_id, name, gpu_type, terminated_at, termination_reason)
      VALUES (${jobId ?? jobIdOfPodName(pod.name) ?? 0}, ${provider}, ${pod.id}, ${pod.name}, ${pod.gpu_type}, now(), ${`reaped: ${reason}`})`
  }, errorsAreDefects)

  const liveJobs = sql<{ id: JobId; status: JobStatus; tier: Tier; status_since: number }>`
    SELECT j.id, j.status, j.tier, (EXTRACT(EPOCH FROM COALESCE(
        (SELECT max(e.at) FROM job_events e WHERE e.job_id = j.id AND e.kind = 'status'), j.created_at)) * 1000)::float8 AS status_since
    FROM simulation_jobs j WHERE j.status IN ${sql.in(liveStatuses)} ORDER BY j.id`.pipe(
    Effect.map((rows): ReadonlyArray<LiveJob> => rows),
    errorsAreDefects,
    Effect.withSpan("MaintenanceStore.liveJobs")
  )

  const executionExists = Effect.fn("MaintenanceStore.executionExists")(function*(workflowName: string, executionId: string) {
    // No message table: the engine keeps no executions in this database (the in-memory engine of tests).
    const table = yield* sql<{ present: boolean }>`SELECT to_regclass('cluster_messages') IS NOT NULL AS present`
    if (table[0]?.present !== true) return false
    const rows = yield* sql`SELECT 1 FROM cluster_messages
      WHERE entity_type = ${`Workflow/${workflowName}`} AND entity_id = ${executionId} AND tag = 'run' LIMIT 1`
    return rows.length > 0
  }, errorsAreDefects)

  const firstStaleAlert = Effect.fn("MaintenanceStore.firstStaleAlert")(function*(jobId: JobId, status: JobStatus, since: number) {
    const rows = yield* sql`INSERT INTO stale_alerts (job_id, status, status_since_ms) VALUES (${jobId}, ${status}, ${Math.round(since)})
      ON CONFLICT DO NOTHING RETURNING job_id`
    return rows.length > 0
  }, errorsAreDefects)

  const deletedJobIds = Effect.fn("MaintenanceStore.deletedJobIds")(function*(ids: ReadonlyArray<JobId>) {
    if (ids.length === 0) return []
    // The identity's sequence says which ids were ever issued (NULL before the first job).
    const issued = yield* sql<{ newest: number | null }>`SELECT pg_sequence_last_value(
        pg_get_serial_sequence('simulation_jobs', 'id')::regclass)::float8 AS newest`
    const newest = issued[0]?.newest ?? 0
    const candidates = ids.filter((id) => id >= 1 && id <= newest)
    if (candidates.length === 0) return []
    const present = yield* sql<{ id: JobId }>`SELECT id FROM simulation_jobs WHERE id IN ${sql.in(candidates)}`
    const kept = new Set(present.map((row) => row.id))
    return candidates.filter((id) => !kept.has(id))
  }, errorsAreDefects)

  return MaintenanceStore.of({ podRecord, recordReaped, liveJobs, firstStaleAlert, executionExists, deletedJobIds })
}))
