/**
 * The API under load, for `npm run bench`: `stored` finished jobs in the database (inserted straight into it, as
 * many as a busy team keeps), then fixed request rates on loopback with autocannon, one endpoint at a time:
 * `GET /api/jobs/:id` (random ids among the stored jobs), `GET /api/jobs` (the first page), `POST /api/jobs` (real
 * jobs: each starts its workflow, as a user's would). Per endpoint: p50 and p99 latency, requests answered per
 * second, errors and non-2xx answers. Each rate runs after a short unmeasured warm-up.
 */
import { PgClient } from "@effect/sql-pg"
import autocannon from "autocannon"
import { Duration, Effect, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { firstStartToken } from "../support/first-start-token.ts"
import { benchService } from "./bench-service.ts"

interface EndpointResult {
  readonly endpoint: string
  readonly rate: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly answeredPerSecond: number
  readonly errors: number
  readonly non2xx: number
}

export interface ApiResult {
  readonly stored: number
  readonly endpoints: ReadonlyArray<EndpointResult>
}

interface Load {
  readonly endpoint: string
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
}) =>
  Effect.gen(function*() {
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: "api" })
    yield* fishcloud.start("api")
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
      { endpoint: "GET /api/jobs/:id", rate: 1000, method: "GET", path: () => `/api/jobs/${randomId()}` },
      { endpoint: "GET /api/jobs (first page)", rate: 500, method: "GET", path: () => "/api/jobs" },
      {
        endpoint: "POST /api/jobs",
        rate: 200,
        method: "POST",
        path: () => "/api/jobs",
        // Each job different, as users' are: identical creates wait for each other (the duplicate check's lock).
        body: () =>
          JSON.stringify({ seed_text: `Bench ${Math.random()}: the harbour expansion hearing.`, goal: "Will the harbour expand?", tier: "small", forecast_days: 7 })
      }
    ]
    const run = (load: Load, seconds: number) =>
      Effect.promise(() =>
        autocannon({
          url: `http://127.0.0.1:${fishcloud.port}`,
          connections: Math.max(5, Math.ceil((load.rate * options.rateScale) / 20)),
          overallRate: Math.max(1, Math.round(load.rate * options.rateScale)),
          duration: seconds,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          requests: [{
            method: load.method,
            setupRequest: (request) => ({ ...request, path: load.path(), ...(load.body === undefined ? {} : { body: load.body() }) })
          }]
        }))
    const endpoints: Array<EndpointResult> = []
    for (const load of loads) {
      yield* run(load, 2)
      yield* Effect.sleep(Duration.seconds(1))
      const result = yield* run(load, options.seconds)
      endpoints.push({
        endpoint: load.endpoint,
        rate: Math.max(1, Math.round(load.rate * options.rateScale)),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        answeredPerSecond: result.requests.average,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx
      })
    }
    return { stored: ids.length, endpoints } satisfies ApiResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
