/**
 * fishcloud's side of the lifecycle benchmark: one `fishcloud serve` (API and runner in one process) in rehearsal
 * mode (the fake provider, the smallest time scale the lifecycle runs correctly at, so the fake pod's own waits
 * are small), jobs submitted through the API, each phase `{ jobs, inFlight }` keeping that many in flight. Measured
 * per phase: each job's seconds from its row's creation to its terminal status (database timestamps), the phase's
 * wall time, the service process's CPU seconds and the database's row writes.
 */
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Deferred, Duration, Effect, Fiber, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { benchService } from "./bench-service.ts"
import { stopAndSummarize } from "./cpu-profile.ts"
import { cpuSecondsOf, rowWrites, transactionsOf, writesBetween } from "./measure.ts"

export interface Phase {
  readonly jobs: number
  readonly inFlight: number
}

export interface PhaseResult {
  readonly phase: Phase
  readonly wallSeconds: number
  /** Each job's seconds from creation to its terminal status. */
  readonly seconds: ReadonlyArray<number>
  readonly cpuSeconds: number
  readonly writes: ReadonlyArray<readonly [string, number]>
  /** Database transactions (round trips) in the phase; the bench's own few readings included. */
  readonly transactions: number
  /** Jobs that did not end COMPLETED, with their status and message. */
  readonly failed: ReadonlyArray<string>
}

const terminal = ["COMPLETED", "FAILED", "CANCELLED"]

export const benchFishcloud = (options: {
  readonly url: string
  readonly folder: string
  readonly scale: number
  readonly phases: ReadonlyArray<Phase>
  /** Profile the service's CPU over the whole run (it then stops with SIGTERM, so Node writes the profile). */
  readonly cpuProfile?: boolean
}) =>
  Effect.gen(function*() {
    const profileDir = options.cpuProfile === true ? NodePath.join(options.folder, "lifecycle-profile") : undefined
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: "lifecycle", scale: options.scale, profileDir })
    const service = yield* fishcloud.start("fishcloud")
    const sql = yield* PgClient.PgClient

    // One poller for every job in flight: the service is not asked (its CPU is what is measured).
    const waiting = new Map<number, Deferred.Deferred<void>>()
    const poller = yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      yield* Effect.sleep(Duration.millis(25))
      if (waiting.size === 0) return
      const rows = yield* sql<{ id: number }>`SELECT id FROM simulation_jobs
        WHERE id IN ${sql.in([...waiting.keys()])} AND status IN ${sql.in(terminal)}`.pipe(Effect.orDie)
      for (const row of rows) {
        const done = waiting.get(row.id)
        waiting.delete(row.id)
        if (done !== undefined) yield* Deferred.succeed(done, undefined)
      }
    })))

    let next = 0
    const runJob = Effect.gen(function*() {
      const n = next++
      const id = yield* fishcloud.createJob({
        seed_text: `Bench job ${n}: the council votes on the tram line on Tuesday.`,
        goal: "Will the tram line be approved?",
        tier: "small",
        forecast_days: 7
      })
      const done = yield* Deferred.make<void>()
      waiting.set(id, done)
      yield* Deferred.await(done)
      return id
    })

    const results: Array<PhaseResult> = []
    for (const phase of options.phases) {
      const writesBefore = yield* rowWrites(options.url)
      const transactionsBefore = yield* transactionsOf(options.url)
      const cpuBefore = yield* cpuSecondsOf(service.pid)
      const started = performance.now()
      const ids = yield* Effect.forEach(Array.from({ length: phase.jobs }), () => runJob, { concurrency: phase.inFlight })
      const wallSeconds = (performance.now() - started) / 1000
      const cpuSeconds = (yield* cpuSecondsOf(service.pid)) - cpuBefore
      const writes = writesBetween(writesBefore, yield* rowWrites(options.url))
      const transactions = (yield* transactionsOf(options.url)) - transactionsBefore
      const rows = yield* sql<{ id: number; status: string; error_message: string | null; seconds: number }>`
        SELECT j.id, j.status, j.error_message, EXTRACT(EPOCH FROM (
          (SELECT max(e.at) FROM job_events e WHERE e.job_id = j.id AND e.kind = 'status') - j.created_at))::float8 AS seconds
        FROM simulation_jobs j WHERE j.id IN ${sql.in(ids)}`.pipe(Effect.orDie)
      results.push({
        phase,
        wallSeconds,
        seconds: rows.map((row) => row.seconds),
        cpuSeconds,
        writes,
        transactions,
        failed: rows.filter((row) => row.status !== "COMPLETED").map((row) => `job ${row.id} ${row.status}: ${row.error_message ?? ""}`)
      })
    }
    yield* Fiber.interrupt(poller)
    // Activities per job, from the engine's own messages: the raw engine runs the same number.
    const activities = yield* sql<{ per_job: number }>`SELECT (count(*)::float8 / GREATEST(1, (SELECT count(*) FROM simulation_jobs))) AS per_job
      FROM cluster_messages WHERE tag = 'activity'`.pipe(Effect.orDie)
    const profile = yield* stopAndSummarize(service, profileDir)
    return { results, activitiesPerJob: Math.round(activities[0]?.per_job ?? 0), profile }
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
