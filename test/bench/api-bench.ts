/**
 * The API under load, for `npm run bench`: `stored` finished jobs in the database (inserted straight into it, as
 * many as a busy team keeps), then fixed request rates on loopback with autocannon, one endpoint at a time:
 * `GET /api/jobs/:id` (random ids among the stored jobs), `GET /api/jobs` (the first page), `POST /api/jobs` (real
 * jobs: each starts its workflow, as a user's would). Per endpoint: p50 and p99 latency, requests answered per
 * second, errors and non-2xx answers. Each rate runs after a short unmeasured warm-up. Then the event stream: many
 * clients each follow a running job's `GET /api/jobs/:id/events` while every job writes a progress event a second;
 * measured: how long an event takes from its row to the client, and whether every one arrives. The reads are also
 * measured against the floor (`api-floor.ts`), at the same rates on the same rows.
 */
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import autocannon from "autocannon"
import { Duration, Effect, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { firstStartToken } from "../support/first-start-token.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { startApiFloor } from "./api-floor.ts"
import { benchService } from "./bench-service.ts"
import { type ProfileSummary, stopAndSummarize } from "./cpu-profile.ts"
import { parseSse } from "../support/sse.ts"
import { cpuSecondsOf, percentile } from "./measure.ts"

interface EndpointResult {
  readonly endpoint: string
  readonly rate: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly answeredPerSecond: number
  readonly errors: number
  readonly non2xx: number
  /** Responses by HTTP status (a POST refused by back-pressure is a 503). */
  readonly statusCodes: Record<string, number>
  /** The service's CPU time (user and system) per request answered. */
  readonly cpuMsPerRequest: number
  /** The same load on the floor (`api-floor.ts`: bare node:http and the same driver, same rows), where it has one. */
  readonly floor?: { readonly p50Ms: number; readonly p99Ms: number; readonly cpuMsPerRequest: number } | undefined
}

/** `GET /api/jobs/:id/events` followed by many clients at once while their jobs write events. */
interface EventStreamResult {
  readonly streams: number
  /** Events written per stream per second, for `seconds`. */
  readonly seconds: number
  readonly written: number
  readonly delivered: number
  /** From an event's row being written (its `at`) to a client reading it. */
  readonly p50Ms: number
  readonly p99Ms: number
}

export interface ApiResult {
  readonly stored: number
  readonly endpoints: ReadonlyArray<EndpointResult>
  readonly events: EventStreamResult
  /** Where the service's CPU went over the fixed-rate runs and the event streams (`--cpu-prof`). */
  readonly profile?: ProfileSummary | undefined
}

interface Load {
  readonly endpoint: string
  /** Whether the floor server answers it too. */
  readonly floor: boolean
  readonly rate: number
  readonly method: "GET" | "POST"
  readonly path: () => string
  readonly body?: () => string
}

export const benchApi = (options: {
  readonly url: string
  readonly folder: string
  readonly stored: number
  readonly seconds: number
  /** Multiplies every rate (the smoke run's is small). */
  readonly rateScale: number
  /** Clients following an event stream at once. */
  readonly streams: number
  /** Profile the service's CPU (it then stops with SIGTERM, so Node writes the profile). */
  readonly cpuProfile?: boolean
}) =>
  Effect.gen(function*() {
    const profileDir = options.cpuProfile === true ? NodePath.join(options.folder, "api-profile") : undefined
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: "api", profileDir })
    const service = yield* fishcloud.start("api")
    const sql = yield* PgClient.PgClient
    const token = yield* firstStartToken(fishcloud.home)
    const [owner] = yield* sql<{ user_id: number }>`SELECT user_id FROM api_tokens ORDER BY id LIMIT 1`.pipe(Effect.orDie)
    const ids = yield* sql<{ id: number }>`
      INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, forecast_days, status, key_insight, created_at, completed_at)
      SELECT ${owner!.user_id}, 'Stored job ' || n || ': the council votes on the tram line.', 'Will the tram line be approved?',
        'small', 7, 'COMPLETED', 'The council approves it.', now() - make_interval(secs => n), now() - make_interval(secs => n)
      FROM generate_series(1, ${options.stored}) AS n RETURNING id`.pipe(Effect.orDie)
    yield* sql`ANALYZE simulation_jobs`.pipe(Effect.orDie)
    const randomId = () => ids[Math.floor(Math.random() * ids.length)]!.id

    const loads: ReadonlyArray<Load> = [
      { endpoint: "GET /api/jobs/:id", floor: true, rate: 1000, method: "GET", path: () => `/api/jobs/${randomId()}` },
      { endpoint: "GET /api/jobs (first page)", floor: true, rate: 500, method: "GET", path: () => "/api/jobs" },
      {
        endpoint: "POST /api/jobs",
        floor: false,
        rate: 200,
        method: "POST",
        path: () => "/api/jobs",
        // Each job different, as users' are: identical creates wait for each other (the duplicate check's lock).
        body: () =>
          JSON.stringify({ seed_text: `Bench ${Math.random()}: the harbour expansion hearing.`, goal: "Will the harbour expand?", tier: "small", forecast_days: 7 })
      }
    ]
    const run = (load: Load, seconds: number, port = fishcloud.port) =>
      Effect.promise(() =>
        autocannon({
          url: `http://127.0.0.1:${port}`,
          connections: Math.max(5, Math.ceil((load.rate * options.rateScale) / 20)),
          overallRate: Math.max(1, Math.round(load.rate * options.rateScale)),
          duration: seconds,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          requests: [{
            method: load.method,
            setupRequest: (request) => ({ ...request, path: load.path(), ...(load.body === undefined ? {} : { body: load.body() }) })
          }]
        }))
    const floorPort = yield* Effect.orDie(freeLoopbackPort)
    const floor = yield* startApiFloor({ url: options.url, port: floorPort, owner: owner!.user_id })
    /** The load's p50, p99 and the server's CPU per request, after an unmeasured warm-up. */
    const measure = (load: Load, port: number, pid: number) =>
      Effect.gen(function*() {
        yield* run(load, 2, port)
        yield* Effect.sleep(Duration.seconds(1))
        const cpuBefore = yield* cpuSecondsOf(pid)
        const result = yield* run(load, options.seconds, port)
        const cpuSeconds = (yield* cpuSecondsOf(pid)) - cpuBefore
        return { result, cpuMsPerRequest: (1000 * cpuSeconds) / Math.max(1, result.requests.total) }
      })
    const endpoints: Array<EndpointResult> = []
    for (const load of loads) {
      const floorResult = load.floor ? yield* measure(load, floorPort, floor.pid) : undefined
      const { result, cpuMsPerRequest } = yield* measure(load, fishcloud.port, service.pid)
      endpoints.push({
        endpoint: load.endpoint,
        rate: Math.max(1, Math.round(load.rate * options.rateScale)),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        answeredPerSecond: result.requests.average,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0])),
        cpuMsPerRequest,
        floor: floorResult && {
          p50Ms: floorResult.result.latency.p50,
          p99Ms: floorResult.result.latency.p99,
          cpuMsPerRequest: floorResult.cpuMsPerRequest
        }
      })
    }
    const events = yield* benchEventStream(fishcloud.port, token, owner!.user_id, options.streams, options.seconds)
    const profile = yield* stopAndSummarize(service, profileDir)
    return { stored: ids.length, endpoints, events, profile } satisfies ApiResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)

/** Reads one SSE response, calling `onEvent` with each event's `at` (ISO) as it arrives; ends with the response. */
const readEvents = async (response: Response, onEvent: (at: string) => void) => {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buffer += value
    // Whole blocks only: a block may arrive in several chunks.
    const end = buffer.lastIndexOf("\n\n")
    if (end < 0) continue
    for (const event of parseSse(buffer.slice(0, end)).events) onEvent(String(event.data.at))
    buffer = buffer.slice(end + 2)
  }
}

/**
 * `streams` running jobs (rows only: no workflow drives them), each followed by a client; for `seconds`, one
 * progress event per job per second is written straight into `job_events`, as a running job's workflow does.
 */
const benchEventStream = (port: number, token: string, owner: number, streams: number, seconds: number) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const jobs = yield* sql<{ id: number }>`
      INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, forecast_days, status)
      SELECT ${owner}, 'Streamed job ' || n || ': the council votes on the tram line.', 'Will the tram line be approved?', 'small', 7, 'RUNNING'
      FROM generate_series(1, ${streams}) AS n RETURNING id`.pipe(Effect.orDie)
    const ids = jobs.map((job) => job.id)
    const latencies: Array<number> = []
    const received = new Map<number, number>()
    const refused: Array<string> = []
    const failedStreams: Array<string> = []
    const abort = new AbortController()
    const readers = yield* Effect.forEach(ids, (id) =>
      Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/api/jobs/${id}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal })
      ).pipe(Effect.map((response) => {
        if (response.status !== 200) refused.push(`${id}: ${response.status}`)
        return readEvents(response, (at) => {
          latencies.push(Date.now() - Date.parse(at))
          received.set(id, (received.get(id) ?? 0) + 1)
        }).catch((error: unknown) => void failedStreams.push(`${id}: ${String(error)}`))
      })),
      { concurrency: 50 })
    const progress = JSON.stringify({ round: 1, max_rounds: 15, log_lines: ["[pipeline] round 1 of 15"], recent_posts: [], updated_at: 0 })
    for (let second = 0; second < seconds; second++) {
      yield* sql`WITH bumped AS (
          UPDATE simulation_jobs SET last_event_seq = last_event_seq + 1 WHERE id IN ${sql.in(ids)} RETURNING id, last_event_seq)
        INSERT INTO job_events (job_id, seq, kind, data) SELECT id, last_event_seq, 'progress', ${progress}::jsonb FROM bumped`.pipe(Effect.orDie)
      yield* Effect.sleep(Duration.seconds(1))
    }
    // The last events are read at the stream's next poll (every second); an event not read within 10 s is lost.
    const deadline = performance.now() + 10_000
    while (latencies.length < ids.length * seconds && performance.now() < deadline) yield* Effect.sleep(Duration.millis(100))
    abort.abort()
    yield* Effect.promise(() => Promise.all(readers))
    const short = ids.filter((id) => (received.get(id) ?? 0) < seconds).map((id) => `${id}: ${received.get(id) ?? 0}`)
    if (short.length > 0) yield* Effect.logWarning(`event streams short of events (job: events read) ${short.join(", ")}; refused ${refused.join(", ")}; failed ${failedStreams.slice(0, 5).join(", ")}`)
    return {
      streams: ids.length,
      seconds,
      written: ids.length * seconds,
      delivered: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99)
    } satisfies EventStreamResult
  })
