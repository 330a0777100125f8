/**
 * The `JobJournal` on Postgres. Each status change is one UPDATE whose WHERE clause only matches the statuses
 * `allowedSources` permits, so a terminal row is never touched, and it writes its `job_events` row in the same
 * transaction. Event seqs come from `simulation_jobs.last_event_seq`, so appends are serialised per job by the row
 * lock. Database errors become defects here, once.
 */
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import { errorsAreDefects } from "./sql-defect.ts"
import {
  type CreatedPod,
  JobJournal,
  type JobTotals,
  maxErrorMessageChars,
  type PodRow,
  type PodSummary,
  type TransitionOptions,
  type WatchedRun
} from "../../services/job-journal.ts"
import { JobId } from "../../src/domain/ids.ts"
import { type Citation, JobFacts } from "../../src/domain/job.ts"
import type { JobEvent, Progress, StatusChanged } from "../../src/domain/job-event.ts"
import { Market } from "../../src/domain/market.ts"
import { PodProgress } from "../../src/domain/pod-progress.ts"
import { allowedSources, isTerminal, JobStatus, liveStatuses, terminalStatuses } from "../../src/domain/status.ts"
import { Tier } from "../../src/domain/tier.ts"
import { countPodCreated, countPodTerminated, countTransition } from "../../src/metrics.ts"

const decodeFacts = Schema.decodeUnknownEffect(Schema.Array(JobFacts))
const decodeProgress = Schema.decodeUnknownEffect(Schema.NullOr(PodProgress))
const WatchedRunRow = Schema.Struct({
  job_id: JobId,
  pod_id: Schema.String,
  worker_url: Schema.String,
  worker_secret: Schema.NullOr(Schema.String),
  run: Schema.String,
  status: JobStatus,
  tier: Tier,
  max_rounds: Schema.Int,
  progress: Schema.NullOr(PodProgress)
})
const WatchedRunKeyRow = Schema.Struct({ job_id: JobId, pod_id: Schema.String, run: Schema.String, status: JobStatus })
const decodeWatchedRunKeys = Schema.decodeUnknownEffect(Schema.Array(WatchedRunKeyRow))
const decodeWatchedRuns = (rows: ReadonlyArray<unknown>) =>
  Effect.map(Schema.decodeUnknownEffect(Schema.Array(WatchedRunRow))(rows), (runs) =>
    runs.map((row): WatchedRun => ({
      ...row,
      worker_secret: Option.map(Option.fromNullishOr(row.worker_secret), Redacted.make),
      progress: Option.fromNullishOr(row.progress)
    })))
const decodeMarkets = Schema.decodeUnknownEffect(Schema.NullOr(Schema.Array(Market)))

export const JobJournalLive = Layer.effect(JobJournal, Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const notTerminal = sql`status NOT IN ${sql.in(terminalStatuses)}`

  const transition = Effect.fn("JobJournal.transition")(function*(jobId: JobId, to: JobStatus, options: TransitionOptions = {}) {
    const sources = allowedSources(to)
    if (sources.length === 0) return false
    const errorMessage = options.errorMessage?.slice(0, maxErrorMessageChars) ?? null
    const terminal = isTerminal(to)
    const extra = {
      ...(errorMessage === null ? {} : { error: errorMessage }),
      ...(options.reason === undefined ? {} : { reason: options.reason })
    } satisfies Omit<typeof StatusChanged.Type, "from" | "to">
    // One statement (atomic on its own): the guarded update and its event, without a transaction's extra round trips.
    const rows = yield* sql<{ seq: number }>`
      WITH previous AS (SELECT id, status FROM simulation_jobs WHERE id = ${jobId} FOR UPDATE),
      moved AS (
        UPDATE simulation_jobs AS job SET
          status = ${to},
          phase_entered_at = now(),
          updated_at = now(),
          completed_at = CASE WHEN ${terminal} THEN now() ELSE job.completed_at END,
          error_message = COALESCE(${errorMessage}, job.error_message),
          last_event_seq = job.last_event_seq + 1
        FROM previous
        WHERE job.id = previous.id AND previous.status IN ${sql.in(sources)}
        RETURNING previous.status AS from_status, job.last_event_seq AS seq)
      INSERT INTO job_events (job_id, seq, kind, data)
      SELECT ${jobId}, seq, 'status', jsonb_build_object('from', from_status, 'to', ${to}::text) || ${JSON.stringify(extra)}::jsonb FROM moved
      RETURNING seq`
    const done = rows.length > 0
    if (done) yield* countTransition(to)
    return done
  }, errorsAreDefects)

  const appendEvent = Effect.fn("JobJournal.appendEvent")(function*(jobId: JobId, event: JobEvent) {
    const rows = yield* sql<{ seq: number }>`
      WITH next AS (
        UPDATE simulation_jobs SET last_event_seq = last_event_seq + 1 WHERE id = ${jobId} RETURNING last_event_seq AS seq
      )
      INSERT INTO job_events (job_id, seq, kind, data)
      SELECT ${jobId}, seq, ${event.kind}, ${JSON.stringify(event.data)}::jsonb FROM next
      RETURNING seq`
    return rows[0]?.seq
  }, errorsAreDefects)

  /**
   * `change` (a statement on a table other than simulation_jobs that returns the rows it changed) and, when it changed
   * a row, the job's `event`, numbered from the job's row as `appendEvent` numbers it: one statement, one round trip.
   * `jobSet` adds assignments to that update of the job's row (a row is updated at most once a statement).
   */
  const changeWithEvent = <A extends object>(jobId: JobId, change: Statement.Fragment, event: JobEvent, jobSet = sql.literal("")) =>
    sql<A>`WITH changed AS (${change}),
      next AS (
        UPDATE simulation_jobs SET ${jobSet} last_event_seq = last_event_seq + 1
        WHERE id = ${jobId} AND EXISTS (SELECT 1 FROM changed) RETURNING last_event_seq AS seq
      ),
      appended AS (
        INSERT INTO job_events (job_id, seq, kind, data) SELECT ${jobId}, seq, ${event.kind}, ${JSON.stringify(event.data)}::jsonb FROM next
      )
      SELECT * FROM changed`

  const loadFacts = Effect.fn("JobJournal.loadFacts")(function*(jobId: JobId) {
    const rows = yield* sql`SELECT id, status, tier, goal, enrich_web, forecast_days, routing
      FROM simulation_jobs WHERE id = ${jobId} AND tier IS NOT NULL AND goal IS NOT NULL AND routing IS NOT NULL`
    const facts = yield* decodeFacts(rows)
    return Option.fromNullishOr(facts[0])
  }, errorsAreDefects)

  const currentStatus = Effect.fn("JobJournal.currentStatus")(function*(jobId: JobId) {
    const rows = yield* sql<{ status: JobStatus }>`SELECT status FROM simulation_jobs WHERE id = ${jobId}`
    return Option.fromNullishOr(rows[0]?.status)
  }, errorsAreDefects)

  const simulationSeed = Effect.fn("JobJournal.simulationSeed")(function*(jobId: JobId) {
    const rows = yield* sql<{ seed_text: string; enriched_seed: string | null }>`
      SELECT seed_text, enriched_seed FROM simulation_jobs WHERE id = ${jobId}`
    const row = rows[0]
    if (row === undefined) return ""
    return row.enriched_seed === null || row.enriched_seed.trim() === ""
      ? row.seed_text
      : `${row.seed_text}\n\n--- Background Research ---\n${row.enriched_seed}`
  }, errorsAreDefects)

  const saveEnrichment = Effect.fn("JobJournal.saveEnrichment")(function*(
    jobId: JobId,
    summary: string,
    citations: ReadonlyArray<typeof Citation.Type>
  ) {
    yield* sql`UPDATE simulation_jobs SET enriched_seed = ${summary}, enrichment_citations = ${JSON.stringify(citations)}::jsonb,
      updated_at = now() WHERE id = ${jobId} AND ${notTerminal}`
  }, errorsAreDefects)

  const enrichmentInput = Effect.fn("JobJournal.enrichmentInput")(function*(jobId: JobId) {
    const rows = yield* sql<{ seed_text: string; goal: string }>`
      SELECT seed_text, goal FROM simulation_jobs WHERE id = ${jobId} AND goal IS NOT NULL`
    const row = rows[0]
    return row === undefined ? Option.none() : Option.some({ seedText: row.seed_text, goal: row.goal })
  }, errorsAreDefects)

  const replaceEnrichment = Effect.fn("JobJournal.replaceEnrichment")(function*(
    jobId: JobId,
    summary: string,
    citations: ReadonlyArray<typeof Citation.Type>
  ) {
    const rows = yield* sql`UPDATE simulation_jobs SET enriched_seed = ${summary},
      enrichment_citations = ${JSON.stringify(citations)}::jsonb, updated_at = now()
      WHERE id = ${jobId} AND status NOT IN ${sql.in(liveStatuses)} RETURNING id`
    return rows.length > 0
  }, errorsAreDefects)

  const saveMarkets = Effect.fn("JobJournal.saveMarkets")(function*(jobId: JobId, markets: ReadonlyArray<Market>) {
    yield* sql`UPDATE simulation_jobs SET markets_config = ${JSON.stringify(markets)}::jsonb, updated_at = now()
      WHERE id = ${jobId} AND ${notTerminal}`
  }, errorsAreDefects)

  const loadMarkets = Effect.fn("JobJournal.loadMarkets")(function*(jobId: JobId) {
    const rows = yield* sql<{ markets_config: unknown }>`SELECT markets_config FROM simulation_jobs WHERE id = ${jobId}`
    return (yield* decodeMarkets(rows[0]?.markets_config ?? null)) ?? []
  }, errorsAreDefects)

  // The stage and the live status change the job's row and add an event in one statement: the row's update takes
  // the event's sequence number too (two row writes, not three; they are most of a running job's writes).
  const setPipelineStage = Effect.fn("JobJournal.setPipelineStage")(function*(jobId: JobId, stage: number) {
    const event: JobEvent = { kind: "stage", data: { stage } }
    yield* sql`WITH next AS (
        UPDATE simulation_jobs SET pipeline_stage = ${stage}, updated_at = now(), last_event_seq = last_event_seq + 1
        WHERE id = ${jobId} AND ${notTerminal} AND pipeline_stage IS DISTINCT FROM ${stage} RETURNING last_event_seq AS seq
      )
      INSERT INTO job_events (job_id, seq, kind, data) SELECT ${jobId}, seq, ${event.kind}, ${JSON.stringify(event.data)}::jsonb FROM next`
  }, errorsAreDefects)

  const saveLiveStatuses = Effect.fn("JobJournal.saveLiveStatuses")(function*(
    updates: ReadonlyArray<{ readonly jobId: JobId; readonly live: Progress }>
  ) {
    if (updates.length === 0) return
    const rows = updates.map(({ jobId, live }) => ({ job_id: jobId, live }))
    yield* sql`WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS input(job_id integer, live jsonb)
      ), next AS (
        UPDATE simulation_jobs AS job SET live_status = input.live, updated_at = now(), last_event_seq = job.last_event_seq + 1
        FROM input WHERE job.id = input.job_id AND job.status NOT IN ${sql.in(terminalStatuses)} RETURNING job.id, job.last_event_seq AS seq, input.live
      )
      INSERT INTO job_events (job_id, seq, kind, data) SELECT id, seq, 'progress', live FROM next`
  }, errorsAreDefects)

  const podProgress = Effect.fn("JobJournal.podProgress")(function*(jobId: JobId, podId: string) {
    const rows = yield* sql<{ progress: unknown }>`SELECT progress FROM pods WHERE job_id = ${jobId} AND pod_id = ${podId}
      ORDER BY id DESC LIMIT 1`
    return Option.fromNullishOr(yield* decodeProgress(rows[0]?.progress ?? null))
  }, errorsAreDefects)

  const savePodProgress = Effect.fn("JobJournal.savePodProgress")(function*(jobId: JobId, podId: string, progress: PodProgress) {
    yield* sql`UPDATE pods SET progress = ${JSON.stringify(progress)}::jsonb WHERE job_id = ${jobId} AND pod_id = ${podId}`
  }, errorsAreDefects)

  const watchRun = Effect.fn("JobJournal.watchRun")(function*(
    jobId: JobId,
    pod: { readonly pod_id: string; readonly worker_url: string },
    run: string
  ) {
    yield* sql`UPDATE pods SET watched_run = ${run}, worker_url = ${pod.worker_url}
      WHERE job_id = ${jobId} AND pod_id = ${pod.pod_id}`
  }, errorsAreDefects)

  const unwatchRun = Effect.fn("JobJournal.unwatchRun")(function*(jobId: JobId, podId: string, run: string) {
    yield* sql`UPDATE pods SET watched_run = NULL WHERE job_id = ${jobId} AND pod_id = ${podId} AND watched_run = ${run}`
  }, errorsAreDefects)

  const watchedRuns = Effect.fn("JobJournal.watchedRuns")(function*() {
    const rows = yield* sql<typeof WatchedRunKeyRow.Encoded>`
      SELECT p.job_id, p.pod_id, p.watched_run AS run, j.status
      FROM pods p JOIN simulation_jobs j ON j.id = p.job_id
      WHERE p.watched_run IS NOT NULL AND p.pod_id IS NOT NULL AND p.worker_url IS NOT NULL`
    return yield* decodeWatchedRunKeys(rows)
  }, errorsAreDefects)

  const watchedRunsOf = Effect.fn("JobJournal.watchedRunsOf")(function*(jobIds: ReadonlyArray<JobId>) {
    if (jobIds.length === 0) return []
    const rows = yield* sql<typeof WatchedRunRow.Encoded>`
      SELECT p.job_id, p.pod_id, p.worker_url, p.worker_secret, p.watched_run AS run, p.progress, j.status, j.tier,
        (j.routing->>'max_rounds')::int AS max_rounds
      FROM pods p JOIN simulation_jobs j ON j.id = p.job_id
      WHERE p.job_id IN ${sql.in(jobIds)} AND p.watched_run IS NOT NULL AND p.pod_id IS NOT NULL AND p.worker_url IS NOT NULL`
    return yield* decodeWatchedRuns(rows)
  }, errorsAreDefects)

  const saveResults = Effect.fn("JobJournal.saveResults")(function*(
    jobId: JobId,
    results: { readonly chatLog: unknown; readonly graph: unknown; readonly structured: unknown }
  ) {
    yield* sql`UPDATE simulation_jobs SET result_chat_log = ${JSON.stringify(results.chatLog)}::jsonb,
      result_graph = ${JSON.stringify(results.graph)}::jsonb, result_structured = ${JSON.stringify(results.structured)}::jsonb,
      updated_at = now() WHERE id = ${jobId} AND ${notTerminal}`
  }, errorsAreDefects)

  const saveReport = Effect.fn("JobJournal.saveReport")(function*(
    jobId: JobId,
    report: { readonly markdown: string; readonly structured: unknown; readonly keyInsight: string | null }
  ) {
    yield* sql`UPDATE simulation_jobs SET result_report = ${report.markdown},
      result_structured = ${JSON.stringify(report.structured)}::jsonb, key_insight = ${report.keyInsight?.slice(0, 200) ?? null},
      pipeline_stage = 5, updated_at = now() WHERE id = ${jobId} AND status = 'REPORTING'`
  }, errorsAreDefects)

  const markSimDataAvailable = Effect.fn("JobJournal.markSimDataAvailable")(function*(jobId: JobId) {
    yield* sql`UPDATE simulation_jobs SET sim_data_available = true, updated_at = now() WHERE id = ${jobId}`
  }, errorsAreDefects)

  const podRow = Effect.fn("JobJournal.podRow")(function*(jobId: JobId, name: string) {
    const rows = yield* sql<PodRow>`SELECT name, pod_id, provider, terminated_at IS NOT NULL AS terminated
      FROM pods WHERE job_id = ${jobId} AND name = ${name} ORDER BY id DESC LIMIT 1`
    return Option.fromNullishOr(rows[0])
  }, errorsAreDefects)

  const recordPodRequested = Effect.fn("JobJournal.recordPodRequested")(function*(
    jobId: JobId,
    provider: string,
    name: string,
    gpuType: string
  ) {
    const existing = yield* podRow(jobId, name)
    if (Option.isSome(existing) && !existing.value.terminated) return
    yield* sql`INSERT INTO pods (job_id, provider, name, gpu_type) VALUES (${jobId}, ${provider}, ${name}, ${gpuType})`
  }, errorsAreDefects)

  const recordPodWorkerSecret = Effect.fn("JobJournal.recordPodWorkerSecret")(function*(
    jobId: JobId,
    name: string,
    workerSecret: Redacted.Redacted<string>
  ) {
    // The newest row of that name, the one recordPodRequested left live. A secret it already holds may be in a pod the
    // provider made before a crash, so it wins.
    const rows = yield* sql<{ worker_secret: string }>`UPDATE pods SET worker_secret = COALESCE(worker_secret, ${Redacted.value(workerSecret)})
      WHERE id = (SELECT id FROM pods WHERE job_id = ${jobId} AND name = ${name} ORDER BY id DESC LIMIT 1) AND terminated_at IS NULL
      RETURNING worker_secret`
    const row = rows[0]
    // Without a row the secret would be known to no one who could send it: the pod would answer only 401s.
    if (row === undefined) return yield* Effect.die(new Error(`job ${jobId}: no live pod row ${name} to record the worker secret on`))
    return Redacted.make(row.worker_secret)
  }, errorsAreDefects)

  const podWorkerSecret = Effect.fn("JobJournal.podWorkerSecret")(function*(jobId: JobId, podId: string) {
    const rows = yield* sql<{ worker_secret: string | null }>`SELECT worker_secret FROM pods
      WHERE job_id = ${jobId} AND pod_id = ${podId} ORDER BY id DESC LIMIT 1`
    return Option.map(Option.fromNullishOr(rows[0]?.worker_secret), Redacted.make)
  }, errorsAreDefects)

  const recordPodCreated = Effect.fn("JobJournal.recordPodCreated")(function*(jobId: JobId, name: string, pod: CreatedPod) {
    // The pod's row, the job's current pod and the event together.
    const rows = yield* changeWithEvent(
      jobId,
      sql`UPDATE pods SET pod_id = ${pod.id}, gpu_type = ${pod.gpu_type}, cost_per_hour = ${pod.cost_per_hour}
        WHERE job_id = ${jobId} AND name = ${name} AND terminated_at IS NULL AND (pod_id IS NULL OR pod_id = ${pod.id})
        RETURNING id, provider`,
      { kind: "pod", data: { event: "created", pod_id: pod.id, name, gpu_type: pod.gpu_type, cost_per_hour: pod.cost_per_hour } },
      sql`pod_id = ${pod.id}, gpu_provider = (SELECT provider FROM changed LIMIT 1), updated_at = now(),`
    )
    if (rows.length > 0) yield* countPodCreated(pod)
  }, errorsAreDefects)

  const recordPodReady = Effect.fn("JobJournal.recordPodReady")(function*(jobId: JobId, podId: string) {
    yield* changeWithEvent(
      jobId,
      sql`UPDATE pods SET ready_at = now() WHERE job_id = ${jobId} AND pod_id = ${podId} AND ready_at IS NULL RETURNING id`,
      { kind: "pod", data: { event: "ready", pod_id: podId } }
    )
  }, errorsAreDefects)

  const recordPodTerminated = Effect.fn("JobJournal.recordPodTerminated")(function*(jobId: JobId, podId: string, reason: string) {
    const rows = yield* changeWithEvent<{ gpu_type: string | null; seconds: number | null }>(
      jobId,
      sql`UPDATE pods SET terminated_at = now(), termination_reason = ${reason}
        WHERE job_id = ${jobId} AND pod_id = ${podId} AND terminated_at IS NULL
        RETURNING id, gpu_type, EXTRACT(EPOCH FROM (terminated_at - requested_at))::float8 AS seconds`,
      { kind: "pod", data: { event: "terminated", pod_id: podId, reason } }
    )
    if (rows[0] !== undefined) yield* countPodTerminated(rows[0])
    return rows.length > 0
  }, errorsAreDefects)

  const recordPodTerminateFailed = Effect.fn("JobJournal.recordPodTerminateFailed")(
    function*(jobId: JobId, podId: string, reason: string, error: string) {
      const rows = yield* sql`UPDATE pods SET termination_reason = ${`terminate_failed: ${reason}`}
        WHERE job_id = ${jobId} AND pod_id = ${podId} AND terminated_at IS NULL RETURNING id`
      if (rows.length > 0) yield* appendEvent(jobId, { kind: "pod", data: { event: "terminate_failed", pod_id: podId, reason, error } })
    },
    errorsAreDefects
  )

  const recordPodAbandoned = Effect.fn("JobJournal.recordPodAbandoned")(function*(jobId: JobId, name: string, reason: string) {
    yield* sql`UPDATE pods SET terminated_at = now(), termination_reason = ${reason}
      WHERE job_id = ${jobId} AND name = ${name} AND pod_id IS NULL AND terminated_at IS NULL`
  }, errorsAreDefects)

  const livePods = Effect.fn("JobJournal.livePods")(function*(jobId: JobId) {
    return yield* sql<{ pod_id: string | null; name: string }>`SELECT pod_id, name FROM pods
      WHERE job_id = ${jobId} AND terminated_at IS NULL ORDER BY id`
  }, errorsAreDefects)

  const podSummary = Effect.fn("JobJournal.podSummary")(function*(jobId: JobId, podId: string) {
    const rows = yield* sql<PodSummary>`SELECT name, gpu_type, cost_per_hour::float8 AS cost_per_hour FROM pods
      WHERE job_id = ${jobId} AND pod_id = ${podId} ORDER BY id DESC LIMIT 1`
    return Option.fromNullishOr(rows[0])
  }, errorsAreDefects)

  const jobTotals = Effect.fn("JobJournal.jobTotals")(function*(jobId: JobId) {
    const rows = yield* sql<JobTotals>`SELECT EXTRACT(EPOCH FROM (now() - j.created_at))::float8 AS seconds,
        (SELECT COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(p.terminated_at, now()) - p.requested_at)) / 3600.0
          * COALESCE(p.cost_per_hour, 0)), 0)::float8 FROM pods p WHERE p.job_id = j.id AND p.pod_id IS NOT NULL) AS gpu_cost_usd,
        COALESCE(j.llm_cost_usd, 0)::float8 AS llm_cost_usd
      FROM simulation_jobs j WHERE j.id = ${jobId}`
    return Option.fromNullishOr(rows[0])
  }, errorsAreDefects)

  const recordTimings = Effect.fn("JobJournal.recordTimings")(function*(jobId: JobId) {
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
  }, errorsAreDefects)

  const recordFinalCost = Effect.fn("JobJournal.recordFinalCost")(function*(jobId: JobId) {
    // Written (and announced) only when it changes, so a release repeated after a replay adds no second event.
    const rows = yield* sql<{ cost: number }>`WITH total AS (
        SELECT COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(terminated_at, now()) - requested_at)) / 3600.0
          * COALESCE(cost_per_hour, 0)), 0)::float8 AS cost
        FROM pods WHERE job_id = ${jobId} AND pod_id IS NOT NULL)
      UPDATE simulation_jobs SET gpu_cost_usd = total.cost FROM total
      WHERE id = ${jobId} AND gpu_cost_usd IS DISTINCT FROM total.cost RETURNING total.cost`
    const changed = rows[0]
    if (changed !== undefined) yield* appendEvent(jobId, { kind: "cost", data: { gpu_cost_usd: changed.cost } })
  }, errorsAreDefects)

  return JobJournal.of({
    transition,
    appendEvent,
    loadFacts,
    currentStatus,
    simulationSeed,
    saveEnrichment,
    enrichmentInput,
    replaceEnrichment,
    saveMarkets,
    loadMarkets,
    setPipelineStage,
    saveLiveStatuses,
    podProgress,
    savePodProgress,
    watchRun,
    unwatchRun,
    watchedRuns,
    watchedRunsOf,
    saveResults,
    saveReport,
    markSimDataAvailable,
    podRow,
    recordPodRequested,
    recordPodWorkerSecret,
    podWorkerSecret,
    recordPodCreated,
    recordPodReady,
    recordPodTerminated,
    recordPodTerminateFailed,
    recordPodAbandoned,
    livePods,
    podSummary,
    jobTotals,
    recordTimings,
    recordFinalCost
  })
}))
