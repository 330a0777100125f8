/** `JobStore` on Postgres. Database errors become defects here, once (`sqlErrorsAreDefects`). */
import { Cache, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { abandonedIdempotencyClaimSeconds, idempotencyKeyTtlHours, jobCountFreshFor, JobStore, type NewJob, queuedJobsFreshFor } from "../../services/job-store.ts"
import { JobId, type UserId } from "../../src/domain/ids.ts"
import { type DraftCreate, type DraftUpdate, Job, JobReport, ModelRouting } from "../../src/domain/job.ts"
import { JobStatus, liveStatuses, startingStatuses } from "../../src/domain/status.ts"
import type { Tier } from "../../src/domain/tier.ts"
import { StoredEvent } from "../../src/domain/job-event.ts"
import { TimelinePod } from "../../src/domain/timeline.ts"
import { migrationStatus } from "./migration-status.ts"
import { sqlErrorsAreDefects } from "./sql-defect.ts"

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${column}`

/** The columns of `Job`, timestamps rendered as ISO-8601 UTC. */
const jobColumns = [
  "id, user_id, seed_text, goal, tier, enrich_web, forecast_days, status, pipeline_stage, error_message, key_insight",
  "enriched_seed, enrichment_citations, markets_config, live_status, sim_data_available, retry_of",
  "provision_seconds, pipeline_seconds, gpu_cost_usd, llm_input_tokens, llm_output_tokens, llm_cost_usd",
  iso("created_at"),
  iso("updated_at"),
  iso("phase_entered_at"),
  iso("completed_at")
].join(", ")

// Rows come from our own schema: a row that does not decode is a bug, not a user error.
const decodeJobs = Schema.decodeUnknownEffect(Schema.Array(Job))
const decodeRouting = Schema.decodeUnknownEffect(Schema.Array(ModelRouting))
const decodeReport = Schema.decodeUnknownEffect(JobReport)

const decodeEvents = Schema.decodeUnknownEffect(Schema.Array(StoredEvent))
const decodePods = Schema.decodeUnknownEffect(Schema.Array(TimelinePod))
const decodeHeads = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ id: JobId, seq: Schema.Int, status: JobStatus })))

const routingColumns = "sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args"

export const JobStoreLive = Layer.effect(
  JobStore,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.literal(jobColumns)

    const get = Effect.fn("JobStore.get")(function*(owner: UserId, id: JobId) {
      const rows = yield* sql`SELECT ${columns} FROM simulation_jobs WHERE id = ${id} AND user_id = ${owner}`
      const jobs = yield* Effect.orDie(decodeJobs(rows))
      return Option.fromNullishOr(jobs[0])
    }, sqlErrorsAreDefects)

    // A job that a retry replaced is hidden: the retry is its continuation.
    const visible = (owner: UserId) =>
      sql`user_id = ${owner} AND NOT EXISTS (
        SELECT 1 FROM simulation_jobs AS successor WHERE successor.retry_of = simulation_jobs.id AND successor.user_id = ${owner})`
    const inStatus = (status: JobStatus | undefined) => status === undefined ? sql`TRUE` : sql`status = ${status}`
    // Keyed by owner and status filter ("" = all): `${owner}:${status}`.
    const counts = yield* Cache.make({
      lookup: (key: string) => {
        const [owner, status] = key.split(":") as [string, string]
        return sql<{ total: number }>`SELECT count(*)::int AS total FROM simulation_jobs
          WHERE ${visible(Number(owner) as UserId)} AND ${inStatus(status === "" ? undefined : status as JobStatus)}`.pipe(
          Effect.map((rows) => rows[0]?.total ?? 0)
        )
      },
      capacity: 10_000,
      timeToLive: jobCountFreshFor
    })
    const countKey = (owner: UserId, status: JobStatus | undefined) => `${owner}:${status ?? ""}`
    // One count per second serves every create: a flood of creates costs one query, and overshoots the limit by at
    // most a second's worth of admissions.
    const queuedJobs = yield* Effect.cachedWithTTL(
      sql<{ queued: number }>`SELECT count(*)::int AS queued FROM simulation_jobs WHERE status IN ${sql.in(startingStatuses)}`.pipe(
        Effect.map((rows) => rows[0]?.queued ?? 0),
        sqlErrorsAreDefects
      ),
      queuedJobsFreshFor
    )
    /** After this process adds or removes an owner's job: the next list counts again (every filter). */
    const recount = (owner: UserId) =>
      Effect.forEach([undefined, ...JobStatus.literals], (status) => Cache.invalidate(counts, countKey(owner, status)), { discard: true })

    const list = Effect.fn("JobStore.list")(function*(
      owner: UserId,
      at: { readonly page: number; readonly after?: JobId | undefined; readonly status?: JobStatus | undefined },
      perPage: number
    ) {
      const filter = inStatus(at.status)
      // The order names the table's columns: a bare `created_at` would be the ISO text of the select list, sorted over
      // every row (118 ms with 100,000 jobs) instead of read off the (user_id, created_at, id) index (0.1 ms). Keyset:
      // the rows after `after` come off the same index.
      const [rows, total] = yield* Effect.all([
        at.after === undefined
          ? sql`SELECT ${columns} FROM simulation_jobs WHERE ${visible(owner)} AND ${filter}
              ORDER BY simulation_jobs.created_at DESC, simulation_jobs.id DESC LIMIT ${perPage} OFFSET ${(at.page - 1) * perPage}`
          : sql`SELECT ${columns} FROM simulation_jobs WHERE ${visible(owner)} AND ${filter}
              AND (simulation_jobs.created_at, simulation_jobs.id) <
                (SELECT cursor.created_at, cursor.id FROM simulation_jobs AS cursor WHERE cursor.id = ${at.after} AND cursor.user_id = ${owner})
              ORDER BY simulation_jobs.created_at DESC, simulation_jobs.id DESC LIMIT ${perPage}`,
        Cache.get(counts, countKey(owner, at.status))
      ], { concurrency: 2 })
      const jobs = yield* Effect.orDie(decodeJobs(rows))
      const last = jobs.length === perPage ? jobs[jobs.length - 1] : undefined
      return { jobs, total, page: at.after === undefined ? at.page : 1, per_page: perPage, next_after: last?.id ?? null }
    }, sqlErrorsAreDefects)

    const deleteJob = Effect.fn("JobStore.delete")(function*(owner: UserId, id: JobId) {
      // What the job cost stays counted against the monthly spend cap (`deleted_job_spend`): its recorded GPU cost,
      // or, for a job cancelled just now, its pods' cost so far (read in the same snapshot, before the cascade).
      const rows = yield* sql`WITH gone AS (
          DELETE FROM simulation_jobs WHERE id = ${id} AND user_id = ${owner}
          RETURNING id, user_id, status, created_at, gpu_cost_usd, llm_cost_usd
        ), kept AS (
          INSERT INTO deleted_job_spend (job_id, user_id, job_created_at, gpu_cost_usd, llm_cost_usd)
          SELECT gone.id, gone.user_id, gone.created_at,
            COALESCE(gone.gpu_cost_usd, (SELECT COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(p.terminated_at, now()) - p.requested_at))
              / 3600.0 * COALESCE(p.cost_per_hour, 0)), 0) FROM pods p WHERE p.job_id = gone.id AND p.pod_id IS NOT NULL)),
            gone.llm_cost_usd
          FROM gone WHERE gone.status <> 'DRAFT'
          ON CONFLICT (job_id) DO NOTHING
        )
        SELECT id FROM gone`
      yield* recount(owner)
      return rows.length > 0
    }, sqlErrorsAreDefects)

    const report = Effect.fn("JobStore.report")(function*(owner: UserId, id: JobId) {
      const rows = yield* sql`SELECT id AS job_id, result_report AS report, key_insight, result_structured AS structured
        FROM simulation_jobs WHERE id = ${id} AND user_id = ${owner} AND result_report IS NOT NULL AND result_report <> ''`
      return rows[0] === undefined ? Option.none() : Option.some(yield* Effect.orDie(decodeReport(rows[0])))
    }, sqlErrorsAreDefects)

    // Sharing again returns the link there is: the no-op update makes RETURNING give the stored token.
    const share = Effect.fn("JobStore.share")(function*(owner: UserId, id: JobId, token: string) {
      const rows = yield* sql<{ token: string }>`INSERT INTO share_links (job_id, token)
        SELECT id, ${token} FROM simulation_jobs WHERE id = ${id} AND user_id = ${owner} AND status = 'COMPLETED'
        ON CONFLICT (job_id) DO UPDATE SET job_id = EXCLUDED.job_id RETURNING token`
      return Option.fromNullishOr(rows[0]?.token)
    }, sqlErrorsAreDefects)

    const unshare = Effect.fn("JobStore.unshare")(function*(owner: UserId, id: JobId) {
      yield* sql`DELETE FROM share_links USING simulation_jobs
        WHERE share_links.job_id = simulation_jobs.id AND simulation_jobs.id = ${id} AND simulation_jobs.user_id = ${owner}`
    }, sqlErrorsAreDefects)

    const shared = Effect.fn("JobStore.shared")(function*(token: string) {
      // Postgres text cannot hold NUL (the query would fail): no token holds one, so such a token is unknown.
      if (token.includes("\u0000")) return Option.none()
      const rows = yield* sql`SELECT ${columns} FROM simulation_jobs
        WHERE id = (SELECT job_id FROM share_links WHERE token = ${token}) AND status = 'COMPLETED'`
      const job = (yield* Effect.orDie(decodeJobs(rows)))[0]
      if (job === undefined) return Option.none()
      return Option.some({ job, report: yield* report(job.user_id, job.id) })
    }, sqlErrorsAreDefects)

    const lockAndFindDuplicate = Effect.fn("JobStore.lockAndFindDuplicate")(function*(
      owner: UserId,
      job: NewJob,
      windowSeconds: number,
      excluding: Option.Option<JobId>
    ) {
      yield* sql`SELECT pg_advisory_xact_lock(hashtextextended(
        ${owner}::text || ':' || ${job.tier} || ':' || md5(${job.seed_text}) || ':' || md5(${job.goal}), 0))`
      const rows = yield* sql<{ id: JobId }>`SELECT id FROM simulation_jobs
        WHERE user_id = ${owner} AND tier = ${job.tier} AND goal = ${job.goal} AND seed_text = ${job.seed_text}
          AND status IN ${sql.in(liveStatuses)} AND id <> ${Option.getOrElse(excluding, () => 0)}
          AND created_at > now() - make_interval(secs => ${windowSeconds})
        ORDER BY id DESC LIMIT 1`
      return Option.fromNullishOr(rows[0]?.id)
    }, sqlErrorsAreDefects)

    const routing = Effect.fn("JobStore.routing")(function*(tier: Tier) {
      const rows = yield* sql`SELECT ${sql.literal(routingColumns)} FROM model_routing WHERE sim_tier = ${tier}`
      const decoded = yield* Effect.orDie(decodeRouting(rows))
      return Option.fromNullishOr(decoded[0])
    }, sqlErrorsAreDefects)

    const listRouting = sql`SELECT ${sql.literal(routingColumns)} FROM model_routing ORDER BY max_rounds, sim_tier`.pipe(
      Effect.flatMap((rows) => Effect.orDie(decodeRouting(rows))),
      sqlErrorsAreDefects,
      Effect.withSpan("JobStore.listRouting")
    )

    const setRouting = Effect.fn("JobStore.setRouting")(function*(r: ModelRouting) {
      yield* sql`INSERT INTO model_routing (sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args)
        VALUES (${r.sim_tier}, ${r.model_id}, ${r.gpu_type}, ${r.max_rounds}, ${r.target_agents}, ${r.vllm_args})
        ON CONFLICT (sim_tier) DO UPDATE SET model_id = EXCLUDED.model_id, gpu_type = EXCLUDED.gpu_type,
          max_rounds = EXCLUDED.max_rounds, target_agents = EXCLUDED.target_agents, vllm_args = EXCLUDED.vllm_args`
      return r
    }, sqlErrorsAreDefects)

    const insertPending = Effect.fn("JobStore.insertPending")(function*(
      owner: UserId,
      job: NewJob,
      routing: ModelRouting,
      retryOf: Option.Option<JobId>
    ) {
      const data = { to: "PENDING", ...(Option.isSome(retryOf) ? { retry_of: retryOf.value } : {}) }
      // The row and its first event in one statement (the event's foreign key is checked at the statement's end).
      const rows = yield* sql<{ id: JobId }>`WITH job AS (
          INSERT INTO simulation_jobs
            (user_id, seed_text, goal, tier, enrich_web, forecast_days, status, routing, retry_of, last_event_seq)
          VALUES (${owner}, ${job.seed_text}, ${job.goal}, ${job.tier}, ${job.enrich_web}, ${job.forecast_days}, 'PENDING',
            ${JSON.stringify(routing)}::jsonb, ${Option.getOrNull(retryOf)}, 1)
          RETURNING id
        ), event AS (
          INSERT INTO job_events (job_id, seq, kind, data) SELECT id, 1, 'status', ${JSON.stringify(data)}::jsonb FROM job
        )
        SELECT id FROM job`
      const id = rows[0]!.id
      yield* recount(owner)
      return id
    }, sqlErrorsAreDefects)

    const insertDraft = Effect.fn("JobStore.insertDraft")(function*(owner: UserId, draft: DraftCreate) {
      const rows = yield* sql<{ id: JobId }>`INSERT INTO simulation_jobs
        (user_id, seed_text, goal, tier, enrich_web, forecast_days, status, last_event_seq)
        VALUES (${owner}, ${draft.seed_text ?? ""}, ${draft.goal ?? null}, ${draft.tier ?? null}, ${draft.enrich_web},
          ${draft.forecast_days ?? null}, 'DRAFT', 1)
        RETURNING id`
      const id = rows[0]!.id
      yield* sql`INSERT INTO job_events (job_id, seq, kind, data) VALUES (${id}, 1, 'status', '{"to":"DRAFT"}'::jsonb)`
      yield* recount(owner)
      return id
    }, sqlErrorsAreDefects)

    const updateDraft = Effect.fn("JobStore.updateDraft")(function*(
      owner: UserId,
      id: JobId,
      update: DraftUpdate
    ) {
      const changes: Record<string, unknown> = { ...update, updated_at: new Date() }
      const rows = yield* sql`UPDATE simulation_jobs SET ${sql.update(changes)}
        WHERE id = ${id} AND user_id = ${owner} AND status = 'DRAFT' RETURNING id`
      return rows.length > 0
    }, sqlErrorsAreDefects)

    const launchDraft = Effect.fn("JobStore.launchDraft")(function*(id: JobId, routing: ModelRouting) {
      const rows = yield* sql<{ seq: number }>`UPDATE simulation_jobs SET status = 'PENDING', routing = ${JSON.stringify(routing)}::jsonb,
          created_at = now(), updated_at = now(), phase_entered_at = now(), last_event_seq = last_event_seq + 1
        WHERE id = ${id} AND status = 'DRAFT' RETURNING last_event_seq AS seq`
      const row = rows[0]
      if (row === undefined) return false
      yield* sql`INSERT INTO job_events (job_id, seq, kind, data)
        VALUES (${id}, ${row.seq}, 'status', '{"from":"DRAFT","to":"PENDING"}'::jsonb)`
      return true
    }, sqlErrorsAreDefects)

    const claimIdempotencyKey = Effect.fn("JobStore.claimIdempotencyKey")(function*(
      owner: UserId,
      key: string,
      requestSha256: string
    ) {
      // Expired keys, and claims whose request died before answering, are forgotten so the key can be used again.
      yield* sql`DELETE FROM idempotency_keys WHERE user_id = ${owner} AND key = ${key} AND (
        created_at < now() - make_interval(hours => ${idempotencyKeyTtlHours})
        OR (response_status IS NULL AND created_at < now() - make_interval(secs => ${abandonedIdempotencyClaimSeconds})))`
      const claimed = yield* sql`INSERT INTO idempotency_keys (user_id, key, request_sha256)
        VALUES (${owner}, ${key}, ${requestSha256}) ON CONFLICT DO NOTHING RETURNING key`
      if (claimed.length > 0) return { _tag: "Claimed" } as const
      const rows = yield* sql<{ request_sha256: string; response_status: number | null; response_body: unknown }>`
        SELECT request_sha256, response_status, response_body FROM idempotency_keys WHERE user_id = ${owner} AND key = ${key}`
      const existing = rows[0]
      // Gone between the insert and the read (released by a failed request): the caller may try again.
      if (existing === undefined) return { _tag: "InFlight" } as const
      if (existing.request_sha256 !== requestSha256) return { _tag: "Mismatch" } as const
      if (existing.response_status === null) return { _tag: "InFlight" } as const
      return { _tag: "Replay", status: existing.response_status, body: existing.response_body } as const
    }, sqlErrorsAreDefects)

    const completeIdempotencyKey = Effect.fn("JobStore.completeIdempotencyKey")(function*(
      owner: UserId,
      key: string,
      status: number,
      body: unknown
    ) {
      yield* sql`UPDATE idempotency_keys SET response_status = ${status}, response_body = ${JSON.stringify(body)}::jsonb
        WHERE user_id = ${owner} AND key = ${key}`
    }, sqlErrorsAreDefects)

    const releaseIdempotencyKey = Effect.fn("JobStore.releaseIdempotencyKey")(function*(owner: UserId, key: string) {
      yield* sql`DELETE FROM idempotency_keys WHERE user_id = ${owner} AND key = ${key} AND response_status IS NULL`
    }, sqlErrorsAreDefects)

    const eventsAfter = Effect.fn("JobStore.eventsAfter")(function*(id: JobId, after: number, limit: number) {
      const rows = yield* sql`SELECT seq, kind, data, ${sql.literal(iso("at"))} FROM job_events
        WHERE job_id = ${id} AND seq > ${after} ORDER BY seq LIMIT ${limit}`
      return yield* Effect.orDie(decodeEvents(rows))
    }, sqlErrorsAreDefects)

    const eventHeads = Effect.fn("JobStore.eventHeads")(function*(ids: ReadonlyArray<JobId>) {
      const heads = new Map<JobId, { readonly seq: number; readonly status: JobStatus }>()
      if (ids.length === 0) return heads
      const rows = yield* sql`SELECT id, last_event_seq AS seq, status FROM simulation_jobs WHERE id IN ${sql.in(ids)}`
      for (const row of yield* Effect.orDie(decodeHeads(rows))) heads.set(row.id, { seq: row.seq, status: row.status })
      return heads
    }, sqlErrorsAreDefects)

    const pods = Effect.fn("JobStore.pods")(function*(id: JobId) {
      const rows = yield* sql`SELECT pod_id, name, provider, gpu_type, cost_per_hour,
          ${sql.literal([iso("requested_at"), iso("ready_at"), iso("terminated_at")].join(", "))}, termination_reason,
          EXTRACT(EPOCH FROM (COALESCE(terminated_at, now()) - requested_at))::float8 AS seconds,
          CASE WHEN pod_id IS NULL THEN 0 ELSE EXTRACT(EPOCH FROM (COALESCE(terminated_at, now()) - requested_at)) / 3600.0
            * COALESCE(cost_per_hour, 0) END::float8 AS cost_usd
        FROM pods WHERE job_id = ${id} ORDER BY id`
      return yield* Effect.orDie(decodePods(rows))
    }, sqlErrorsAreDefects)

    const pendingMigrations = migrationStatus.pipe(
      Effect.map((status) => status.pending),
      Effect.provideService(SqlClient.SqlClient, sql),
      sqlErrorsAreDefects,
      Effect.orDie,
      Effect.withSpan("JobStore.pendingMigrations")
    )

    return JobStore.of({
      pendingMigrations,
      ping: sql`SELECT 1`.pipe(Effect.as(true), Effect.catchTag("SqlError", () => Effect.succeed(false)), Effect.withSpan("JobStore.ping")),
      withTransaction: (effect) => sqlErrorsAreDefects(sql.withTransaction(effect)),
      eventsAfter,
      eventHeads,
      pods,
      get,
      list,
      delete: deleteJob,
      report,
      share,
      unshare,
      shared,
      lockAndFindDuplicate,
      queuedJobs,
      routing,
      listRouting,
      setRouting,
      insertPending,
      insertDraft,
      updateDraft,
      launchDraft,
      claimIdempotencyKey,
      completeIdempotencyKey,
      releaseIdempotencyKey
    })
  })
)
