/**
 * In-flight capacity, for `npm run bench`: `jobs` large jobs at time scale 1 (each polls its fake pod every 10 s, as
 * in production) on one `fishcloud serve`. Measured: how long the ramp takes until every job is RUNNING (and whether
 * it finishes within the wait), then over a steady window the service's CPU (share of one core) and RSS, and
 * `GET /api/jobs/:id` latency at a fixed rate meanwhile; pods created twice for one attempt (the fake's ledger:
 * more than one create for a name); and how long a SIGTERM takes to stop the service.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted, Schema } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { FakeState } from "../../layers/pods/fake/fake-store.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { spawnFishcloud, waitForOutput } from "../support/chaos-processes.ts"
import { firstStartToken } from "../support/first-start-token.ts"
import { cpuSecondsOf, percentile, rssMbOf } from "./measure.ts"

const Created = Schema.Struct({ id: Schema.Int })
const decodeCreated = Schema.decodeUnknownEffect(Schema.fromJsonString(Created))
const decodeFake = Schema.decodeUnknownEffect(Schema.fromJsonString(FakeState))

export interface CapacityResult {
  readonly jobs: number
  /** From the first submission until every job is RUNNING; null when the wait ran out first. */
  readonly rampSeconds: number | null
  /** Statuses when the ramp ended (or gave up). */
  readonly statusesAfterRamp: Record<string, number>
  readonly cpuShareOfOneCore: number
  readonly rssMb: number
  readonly getP50Ms: number
  readonly getP99Ms: number
  readonly getErrors: number
  readonly podsCreatedTwice: number
  readonly sigtermSeconds: number
}

/** Seconds the steady window lasts, and GET requests per second during it. */
const window = { seconds: 30, getsPerSecond: 20 }

export const benchCapacity = (options: { readonly url: string; readonly folder: string; readonly jobs: number; readonly rampLimit: Duration.Duration }) =>
  Effect.gen(function*() {
    const home = NodePath.join(options.folder, `capacity-${options.jobs}-home`)
    yield* Effect.promise(() => Fs.mkdir(home, { recursive: true }))
    const port = yield* Effect.orDie(freeLoopbackPort)
    const env = {
      DATABASE_URL: options.url,
      FISHCLOUD_HOME: home,
      PORT: String(port),
      POD_PROVIDER: "fake",
      DUPLICATE_WINDOW_SECONDS: "0"
    }
    const service = yield* Effect.acquireRelease(
      spawnFishcloud(["serve"], env, NodePath.join(options.folder, `capacity-${options.jobs}.log`)),
      (process) => Effect.andThen(process.signal("SIGKILL"), process.exited)
    )
    yield* waitForOutput(service, /Listening on http/, Duration.minutes(2))
    const token = yield* firstStartToken(home)
    const sql = yield* PgClient.PgClient
    const call = (method: string, path: string, body?: unknown) =>
      Effect.tryPromise(() =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000)
        }).then(async (response) => ({ status: response.status, text: await response.text() })))

    const started = performance.now()
    const ids = yield* Effect.forEach(Array.from({ length: options.jobs }, (_, n) => n), (n) =>
      call("POST", "/api/jobs", { seed_text: `Capacity job ${n}: the harbour expansion hearing.`, goal: "Will the harbour expand?", tier: "large", forecast_days: 7 }).pipe(
        Effect.flatMap((reply) => decodeCreated(reply.text)),
        Effect.orDie,
        Effect.map((created) => created.id)
      ), { concurrency: 20 })

    const statuses = sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM simulation_jobs GROUP BY status`.pipe(
      Effect.orDie,
      Effect.map((rows) => Object.fromEntries(rows.map((row) => [row.status, row.n])))
    )
    let ramp: number | null = null
    let last: Record<string, number> = {}
    while (performance.now() - started < Duration.toMillis(options.rampLimit)) {
      last = yield* statuses
      if ((last["RUNNING"] ?? 0) >= ids.length) {
        ramp = (performance.now() - started) / 1000
        break
      }
      yield* Effect.sleep(Duration.seconds(1))
    }

    // The steady window: CPU and RSS of the service, and GETs at a fixed rate.
    const cpuBefore = yield* cpuSecondsOf(service.pid)
    const latencies: Array<number> = []
    let errors = 0
    const gets = Array.from({ length: window.seconds * window.getsPerSecond }, (_, i) => ids[i % ids.length]!)
    yield* Effect.forEach(gets, (id, i) =>
      Effect.gen(function*() {
        yield* Effect.sleep(Duration.millis((i * 1000) / window.getsPerSecond))
        const t0 = performance.now()
        const reply = yield* Effect.result(call("GET", `/api/jobs/${id}`))
        if (reply._tag === "Failure" || reply.success.status !== 200) errors++
        else latencies.push(performance.now() - t0)
      }), { concurrency: "unbounded", discard: true })
    const cpuShare = ((yield* cpuSecondsOf(service.pid)) - cpuBefore) / window.seconds
    const rssMb = yield* rssMbOf(service.pid)

    const fake = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "fake-pods.json"), "utf8")).pipe(Effect.flatMap(decodeFake), Effect.orDie)
    const creates = new Map<string, number>()
    for (const entry of fake.ledger) if (entry.op === "create") creates.set(entry.name, (creates.get(entry.name) ?? 0) + 1)

    const stopping = performance.now()
    yield* service.signal("SIGTERM")
    yield* service.exited
    return {
      jobs: ids.length,
      rampSeconds: ramp,
      statusesAfterRamp: last,
      cpuShareOfOneCore: cpuShare,
      rssMb,
      getP50Ms: percentile(latencies, 50),
      getP99Ms: percentile(latencies, 99),
      getErrors: errors,
      podsCreatedTwice: [...creates.values()].filter((count) => count > 1).length,
      sigtermSeconds: (performance.now() - stopping) / 1000
    } satisfies CapacityResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
