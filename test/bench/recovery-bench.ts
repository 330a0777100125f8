/**
 * Recovery and failover, for `npm run bench`. Recovery: `jobs` long jobs running on the only runner (`fishcloud serve`, rehearsal mode),
 * the runner killed with SIGKILL and started again at once. Measured: how long the new process takes to answer
 * (`Listening on http`), and for each job how long after the kill its workflow polls its pod again, seen as the
 * job's row changing again (a running job writes its live status at every new round, and at this time scale a
 * round is shorter than a poll interval).
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted, Schedule } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { benchService } from "./bench-service.ts"

type BenchService = Effect.Success<ReturnType<typeof benchService>>

export interface RecoveryResult {
  readonly jobs: number
  /** From the SIGKILL to the new process answering HTTP. */
  readonly restartSeconds: number
  /** Per job, from the SIGKILL to its row's first change after it; jobs that never changed are not counted. */
  readonly seconds: ReadonlyArray<number>
  /** Jobs whose row did not change again within the wait. */
  readonly stalled: number
}

/**
 * `jobs` jobs of `tier` (medium by default: 100 rounds keep them running well past a kill) submitted to `fishcloud`,
 * once all are RUNNING; their ids.
 */
export const runningJobs = (fishcloud: BenchService, jobs: number, label: string, tier: "small" | "medium" = "medium") =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const ids = yield* Effect.forEach(Array.from({ length: jobs }, (_, n) => n), (n) =>
      fishcloud.createJob({ seed_text: `${label} job ${n}: the harbour expansion hearing.`, goal: "Will the harbour expand?", tier, forecast_days: 7 }), {
      concurrency: 10
    })
    yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs WHERE id IN ${sql.in(ids)} AND status = 'RUNNING'`.pipe(
      Effect.orDie,
      Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (rows) => (rows[0]?.n ?? 0) === ids.length }),
      Effect.timeout(Duration.minutes(3)),
      Effect.orDie
    )
    return ids
  })

/**
 * Each job's first row change after `since`, in seconds after it (its workflow polled its pod again and saw a new
 * round), watched for up to 90 s.
 */
const firstChangesAfter = (ids: ReadonlyArray<number>, since: Date) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const firstChange = new Map<number, number>()
    const deadline = performance.now() + 90_000
    while (firstChange.size < ids.length && performance.now() < deadline) {
      const rows = yield* sql<{ id: number; seconds: number }>`SELECT id, EXTRACT(EPOCH FROM (updated_at - ${since}))::float8 AS seconds
        FROM simulation_jobs WHERE id IN ${sql.in(ids)} AND updated_at > ${since}`.pipe(Effect.orDie)
      for (const row of rows) if (!firstChange.has(row.id)) firstChange.set(row.id, row.seconds)
      yield* Effect.sleep(Duration.millis(100))
    }
    return firstChange
  })

export const benchRecovery = (options: { readonly url: string; readonly folder: string; readonly scale: number; readonly jobs: number }) =>
  Effect.gen(function*() {
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: "recovery", scale: options.scale })
    const first = yield* fishcloud.start("recovery-first")
    const ids = yield* runningJobs(fishcloud, options.jobs, "Recovery")

    yield* first.signal("SIGKILL")
    yield* first.exited
    const killedAt = new Date()
    const killedMs = performance.now()
    yield* fishcloud.start("recovery-second")
    const restartSeconds = (performance.now() - killedMs) / 1000

    const firstChange = yield* firstChangesAfter(ids, killedAt)
    return {
      jobs: ids.length,
      restartSeconds,
      seconds: [...firstChange.values()],
      stalled: ids.length - firstChange.size
    } satisfies RecoveryResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)

export interface FailoverResult {
  readonly jobs: number
  /** Per job, from the SIGKILL to its row's first change after it. */
  readonly seconds: ReadonlyArray<number>
  /** Jobs that the killed runner drove (their first change came later than a surviving job's would). */
  readonly moved: number
  readonly stalled: number
}

/** A job whose first change after the kill comes later than this was driven by the killed runner. */
const movedAfterSeconds = 2

/**
 * Failover: `jobs` long jobs spread over two runners (`serve` and `serve --role runner`), the second killed with
 * SIGKILL and not restarted. Measured per job: how long after the kill it polls its pod again; the jobs the killed
 * runner drove wait for its shard locks to expire and the survivor to take them over.
 */
export const benchFailover = (options: { readonly url: string; readonly folder: string; readonly scale: number; readonly jobs: number }) =>
  Effect.gen(function*() {
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: "failover", scale: options.scale })
    yield* fishcloud.start("failover-survivor")
    const doomed = yield* fishcloud.start("failover-doomed", "runner")
    // Shards move to a new runner within a few of the engine's assignment refreshes (1 s each).
    yield* Effect.sleep(Duration.seconds(5))
    const ids = yield* runningJobs(fishcloud, options.jobs, "Failover")
    yield* doomed.signal("SIGKILL")
    yield* doomed.exited
    const killedAt = new Date()
    const seconds = yield* firstChangesAfter(ids, killedAt)
    return {
      jobs: ids.length,
      seconds: [...seconds.values()],
      moved: [...seconds.values()].filter((s) => s > movedAfterSeconds).length,
      stalled: ids.length - seconds.size
    } satisfies FailoverResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
