/**
 * One chaos run (`npm run chaos`, and its short variant in `test/process/chaos-short.test.ts`): its own embedded
 * Postgres, one `serve --role api` and N `serve --role runner` processes in rehearsal mode sharing one
 * FISHCLOUD_HOME, jobs submitted through the API, runners killed and restarted while they work, then the audit.
 *
 * Faults: every process runs with FAKE_POD_FAULT_SEED = the run's seed, so each job draws one fault of its own (or
 * none) from `layers/pods/fake/fake-faults.ts`, the same in every process whichever runner drives it; the report
 * counts the jobs' ends per drawn fault. With `storeFaultRate`, the object store fails that share of its calls too.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import type { PgClient } from "@effect/sql-pg"
import { Deferred, Duration, Effect, Fiber, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { liveStatuses } from "../../src/domain/status.ts"
import { policies } from "../../src/lifecycle/policies.ts"
import { collectFacts, jobStatuses } from "./chaos-audit.ts"
import { submitJobs } from "./chaos-jobs.ts"
import { chaosPostgres } from "./chaos-postgres.ts"
import { type Slot, startCluster } from "./chaos-cluster.ts"
import { runFishcloud } from "./chaos-processes.ts"
import { firstStartToken } from "./first-start-token.ts"
import { type ChaosEvent, chaosReport, type RunRecord } from "./chaos-report.ts"

export interface ChaosOptions {
  readonly jobs: number
  /** Every this many jobs one is medium (100 rounds instead of 15); 0 for small jobs only. */
  readonly mediumEvery: number
  readonly runners: number
  /** FISHCLOUD_TIME_SCALE of every process. */
  readonly scale: number
  readonly seed: number
  /** Where the run keeps its database, its FISHCLOUD_HOME and one log file per process start. */
  readonly folder: string
  /** Seconds between two SIGKILLs of a random runner, drawn uniformly from this range. */
  readonly killEvery: readonly [number, number]
  /** No more SIGKILLs than this (the short variant kills once). */
  readonly maxKills: number
  /** Stop one runner with SIGTERM once (a graceful shutdown), then start it again. */
  readonly sigtermOnce: boolean
  /** Restart Postgres once mid-run, down this long (none when undefined). */
  readonly restartPostgres: Duration.Duration | undefined
  /**
   * MAINTENANCE_EVERY_MINUTES of the runners (1 to 30): 1 lets the reaper and the stale-job detector run during the
   * run; 30 keeps them out of a short one.
   */
  readonly maintenanceEveryMinutes: number
  /** FAKE_STORE_FAULT_RATE of every process: this share of object-store reads and writes fail (0: none). */
  readonly storeFaultRate: number
  /** Give up waiting for the jobs to end after this long. */
  readonly deadline: Duration.Duration
  /** Where progress lines go. */
  readonly say: (line: string) => Effect.Effect<void>
}

/** A small seeded generator (mulberry32), so a run's choices can be replayed with its seed. */
const seededRandom = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Reads the jobs every 2 s until none is live and every created one has its row, or until `deadline` (epoch
 * milliseconds); says the counts by status every 15 s. Whether the jobs settled.
 */
const untilSettled = (
  statuses: Effect.Effect<ReadonlyArray<{ readonly status: string }>, unknown>,
  created: number,
  deadline: number,
  say: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    let saidAt = 0
    while (Date.now() < deadline) {
      // The database may be restarting: the next read tells.
      const rows = yield* Effect.option(statuses)
      if (rows._tag === "Some") {
        const counts: Record<string, number> = {}
        for (const row of rows.value) counts[row.status] = (counts[row.status] ?? 0) + 1
        if (Date.now() - saidAt > 15_000) {
          saidAt = Date.now()
          yield* say(Object.entries(counts).map(([status, n]) => `${status} ${n}`).join(", "))
        }
        const live = rows.value.filter((row) => (liveStatuses as ReadonlyArray<string>).includes(row.status)).length
        if (live === 0 && rows.value.length >= created) return true
      }
      yield* Effect.sleep(Duration.seconds(2))
    }
    return false
  })

export const runChaos = (options: ChaosOptions) =>
  Effect.gen(function*() {
    const started = Date.now()
    const elapsed = () => Math.round((Date.now() - started) / 100) / 10
    const random = seededRandom(options.seed)
    const uniform = (low: number, high: number) => low + random() * (high - low)
    const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(random() * items.length)]!
    const events: Array<ChaosEvent> = []
    const record = (kind: ChaosEvent["kind"], detail: string) =>
      Effect.suspend(() => {
        const event = { at: elapsed(), kind, detail }
        events.push(event)
        return options.say(`[${event.at.toFixed(1).padStart(6)}s] ${kind} ${detail}`)
      })

    // The postgres user (Postgres refuses to run as root) must be able to enter the database's folder.
    const pgHome = NodePath.join(options.folder, "pg-home")
    const home = NodePath.join(options.folder, "home")
    const logs = NodePath.join(options.folder, "logs")
    yield* Effect.promise(async () => {
      for (const folder of [options.folder, pgHome, home, logs]) await Fs.mkdir(folder, { recursive: true })
      await Fs.chmod(options.folder, 0o755)
      await Fs.chmod(pgHome, 0o755)
    })
    const postgres = yield* chaosPostgres(pgHome)
    const port = String(yield* Effect.orDie(freeLoopbackPort))
    const env = {
      DATABASE_URL: postgres.url,
      FISHCLOUD_HOME: home,
      PORT: port,
      POD_PROVIDER: "fake",
      FISHCLOUD_TIME_SCALE: String(options.scale),
      MAINTENANCE_EVERY_MINUTES: String(options.maintenanceEveryMinutes),
      FAKE_POD_FAULT_SEED: String(options.seed),
      FAKE_STORE_FAULT_RATE: String(options.storeFaultRate),
      // One token submits every job at once and polls them all: no live-job quota, no rate limit.
      DEFAULT_MAX_LIVE_JOBS: "0",
      RATE_LIMIT_READS_PER_MINUTE: "0",
      RATE_LIMIT_WRITES_PER_MINUTE: "0",
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: "0"
    }
    yield* options.say(`chaos run in ${options.folder}: Postgres ${postgres.url.replace(/:[^:@/]*@/, ":***@")}, API port ${port}`)

    const cluster = yield* startCluster({ runners: options.runners, env, logs, record })
    const token = yield* firstStartToken(home)

    const chaosSignal = (slot: Slot, signal: "SIGKILL" | "SIGTERM") =>
      Effect.flatMap(cluster.signal(slot, signal), (process) =>
        process === undefined ? Effect.void : record(signal === "SIGKILL" ? "sigkill" : "sigterm", `${slot.name} pid ${process.pid}`))
    // The chaos: SIGKILLs every few seconds, one SIGTERM, one Postgres restart, while jobs are submitted and run.
    const killer = Effect.gen(function*() {
      for (let kills = 0; kills < options.maxKills; kills++) {
        yield* Effect.sleep(Duration.seconds(uniform(...options.killEvery)))
        yield* chaosSignal(pick(cluster.runners), "SIGKILL")
      }
    })
    // The SIGTERM and the Postgres restart come once every job is in, while most of them run.
    const submitted = yield* Deferred.make<void>()
    const sigterm = Effect.gen(function*() {
      yield* Deferred.await(submitted)
      yield* Effect.sleep(Duration.seconds(uniform(2, 15)))
      yield* chaosSignal(pick(cluster.runners), "SIGTERM")
    })
    const restartPostgres = (downtime: Duration.Duration) =>
      Effect.gen(function*() {
        yield* Deferred.await(submitted)
        yield* Effect.sleep(Duration.seconds(uniform(5, 15)))
        yield* record("postgres-restart", `fast shutdown, ${Duration.format(downtime)} down, start on the same port`)
        yield* postgres.restart(downtime).pipe(Effect.uninterruptible)
        yield* record("note", "Postgres is back")
      })
    const chaos = [
      yield* Effect.forkScoped(killer),
      ...(options.sigtermOnce ? [yield* Effect.forkScoped(sigterm)] : []),
      ...(options.restartPostgres === undefined ? [] : [yield* Effect.forkScoped(restartPostgres(options.restartPostgres))])
    ]

    const onDatabase = <A, E>(query: Effect.Effect<A, E, PgClient.PgClient>) =>
      query.pipe(Effect.provide(PgClientLive(Redacted.make(postgres.url))), Effect.scoped)
    const submissions = yield* submitJobs({ count: options.jobs, port, token, seed: options.seed, mediumEvery: options.mediumEvery, say: options.say })
    yield* Deferred.succeed(submitted, undefined)
    yield* options.say(`[${elapsed().toFixed(1).padStart(6)}s] submitted: ${submissions.filter((s) => s.id !== null).length} of ${options.jobs}`)

    const created = submissions.filter((submission) => submission.id !== null).length
    const settled = yield* untilSettled(onDatabase(jobStatuses), created, started + Duration.toMillis(options.deadline), (line) =>
      options.say(`[${elapsed().toFixed(1).padStart(6)}s] jobs: ${line}`))
    yield* record("note", settled ? "every job is terminal" : "deadline passed with jobs still live")

    // Stop the chaos and the services (so nothing changes while the run audits), then one maintenance pass, once
    // the reaper's grace for a finished job's pods (scaled, plus a margin) is over: a pod whose terminate failed as
    // the last job ended is the pass's to reap, not a pod left behind.
    yield* Effect.forEach(chaos, Fiber.interrupt)
    yield* cluster.stop
    yield* Effect.sleep(Duration.sum(Duration.times(policies.maintenance.reaperGraceTerminal, options.scale), Duration.seconds(2)))
    const maintenance = yield* runFishcloud(["maintenance", "run"], env, NodePath.join(logs, "maintenance-run.log"))
    yield* options.say(`maintenance run (${maintenance.how}):\n${maintenance.output.trim()}`)

    const facts = yield* onDatabase(collectFacts(home))
    const run: RunRecord = {
      settings: { jobs: options.jobs, runners: options.runners, scale: options.scale, seed: options.seed, storeFaultRate: options.storeFaultRate },
      submissions,
      events,
      maintenance,
      wallSeconds: (Date.now() - started) / 1000,
      settled
    }
    return chaosReport(facts, run)
  })
