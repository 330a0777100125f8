/**
 * In-flight capacity, for `npm run bench`: `jobs` large jobs at time scale 1 (each polls its fake pod every 10 s, as
 * in production) on one `fishcloud serve`. Measured: how long the ramp takes until every job is RUNNING (and whether
 * it finishes within the wait), then over a steady window the service's CPU (share of one core) and RSS (and after
 * it, the heap after a full garbage collection: the live objects, through the inspector), and
 * `GET /api/jobs/:id` latency at a fixed rate meanwhile; pods created twice for one attempt (the fake's ledger:
 * more than one create for a name); and how long a SIGTERM takes to stop the service.
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { loadFakeState } from "../../layers/pods/fake/fake-store.ts"
import { benchService } from "./bench-service.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { cpuSecondsOf, liveMemoryOf, percentile, rssMbOf } from "./measure.ts"


export interface CapacityResult {
  readonly jobs: number
  /** From the first submission until every job is RUNNING; null when the wait ran out first. */
  readonly rampSeconds: number | null
  /** Statuses when the ramp ended (or gave up). */
  readonly statusesAfterRamp: Record<string, number>
  readonly cpuShareOfOneCore: number
  readonly rssMb: number
  /** The heap after a full garbage collection (the live objects), and RSS then: measured after the window. */
  readonly heapAfterGcMb: number
  readonly rssAfterGcMb: number
  readonly getP50Ms: number
  readonly getP99Ms: number
  readonly getErrors: number
  readonly podsCreatedTwice: number
  /** Creates answered 503 (too many jobs starting, MAX_QUEUED_JOBS) and tried again after `Retry-After`. */
  readonly createsRefused: number
  readonly sigtermSeconds: number
}

/** Seconds the steady window lasts, and GET requests per second during it. */
const window = { seconds: 30, getsPerSecond: 20 }

export const benchCapacity = (options: { readonly url: string; readonly folder: string; readonly jobs: number; readonly rampLimit: Duration.Duration }) =>
  Effect.gen(function*() {
    const inspectorPort = yield* Effect.orDie(freeLoopbackPort)
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: `capacity-${options.jobs}`, inspectorPort })
    const service = yield* fishcloud.start(`capacity-${options.jobs}`)
    const sql = yield* PgClient.PgClient

    const started = performance.now()
    const ids = yield* Effect.forEach(Array.from({ length: options.jobs }, (_, n) => n), (n) =>
      fishcloud.createJob({ seed_text: `Capacity job ${n}: the harbour expansion hearing.`, goal: "Will the harbour expand?", tier: "large", forecast_days: 7 }
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
        const reply = yield* Effect.result(fishcloud.call("GET", `/api/jobs/${id}`))
        if (reply._tag === "Failure" || reply.success.status !== 200) errors++
        else latencies.push(performance.now() - t0)
      }), { concurrency: "unbounded", discard: true })
    const cpuShare = ((yield* cpuSecondsOf(service.pid)) - cpuBefore) / window.seconds
    const rssMb = yield* rssMbOf(service.pid)
    const live = yield* liveMemoryOf(inspectorPort)

    const fake = yield* loadFakeState(fishcloud.home)
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
      heapAfterGcMb: live.heapMb,
      rssAfterGcMb: live.rssMb,
      getP50Ms: percentile(latencies, 50),
      getP99Ms: percentile(latencies, 99),
      getErrors: errors,
      podsCreatedTwice: [...creates.values()].filter((count) => count > 1).length,
      createsRefused: fishcloud.busy.refused,
      sigtermSeconds: (performance.now() - stopping) / 1000
    } satisfies CapacityResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
