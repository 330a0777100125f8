/**
 * Recovery, for `npm run bench`: `jobs` long jobs running on the only runner (`fishcloud serve`, rehearsal mode),
 * the runner killed with SIGKILL and started again at once. Measured: how long the new process takes to answer
 * (`Listening on http`), and for each job how long after the kill its workflow polls its pod again, seen as the
 * job's row changing again (a running job writes its live status at every new round, and at this time scale a
 * round is shorter than a poll interval).
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted, Schedule, Schema } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { spawnFishcloud, waitForOutput } from "../support/chaos-processes.ts"
import { firstStartToken } from "../support/first-start-token.ts"

const Created = Schema.Struct({ id: Schema.Int })
const decodeCreated = Schema.decodeUnknownEffect(Schema.fromJsonString(Created))

export interface RecoveryResult {
  readonly jobs: number
  /** From the SIGKILL to the new process answering HTTP. */
  readonly restartSeconds: number
  /** Per job, from the SIGKILL to its row's first change after it; jobs that never changed are not counted. */
  readonly seconds: ReadonlyArray<number>
  /** Jobs whose row did not change again within the wait. */
  readonly stalled: number
}

export const benchRecovery = (options: { readonly url: string; readonly folder: string; readonly scale: number; readonly jobs: number }) =>
  Effect.gen(function*() {
    const home = NodePath.join(options.folder, "recovery-home")
    yield* Effect.promise(() => Fs.mkdir(home, { recursive: true }))
    const port = yield* Effect.orDie(freeLoopbackPort)
    const env = {
      DATABASE_URL: options.url,
      FISHCLOUD_HOME: home,
      PORT: String(port),
      POD_PROVIDER: "fake",
      FISHCLOUD_TIME_SCALE: String(options.scale),
      DUPLICATE_WINDOW_SECONDS: "0"
    }
    const start = (name: string) =>
      Effect.acquireRelease(
        spawnFishcloud(["serve"], env, NodePath.join(options.folder, `${name}.log`)),
        (process) => Effect.andThen(process.signal("SIGKILL"), process.exited)
      )
    const first = yield* start("recovery-first")
    yield* waitForOutput(first, /Listening on http/, Duration.minutes(2))
    const token = yield* firstStartToken(home)
    const sql = yield* PgClient.PgClient

    // Large jobs: 100 rounds keep them running well past the restart.
    const ids = yield* Effect.forEach(Array.from({ length: options.jobs }, (_, n) => n), (n) =>
      Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/api/jobs`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ seed_text: `Recovery job ${n}: the harbour expansion hearing.`, goal: "Will the harbour expand?", tier: "medium", forecast_days: 7 })
        }).then((response) => response.text())).pipe(Effect.flatMap(decodeCreated), Effect.orDie, Effect.map((created) => created.id)), { concurrency: 10 })
    yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs WHERE id IN ${sql.in(ids)} AND status = 'RUNNING'`.pipe(
      Effect.orDie,
      Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (rows) => (rows[0]?.n ?? 0) === ids.length }),
      Effect.timeout(Duration.minutes(3)),
      Effect.orDie
    )

    yield* first.signal("SIGKILL")
    yield* first.exited
    const killedAt = new Date()
    const killedMs = performance.now()
    const second = yield* start("recovery-second")
    yield* waitForOutput(second, /Listening on http/, Duration.minutes(2))
    const restartSeconds = (performance.now() - killedMs) / 1000

    // Each job's first row change after the kill (its workflow polled its pod again and saw a new round).
    const firstChange = new Map<number, number>()
    const deadline = performance.now() + 90_000
    while (firstChange.size < ids.length && performance.now() < deadline) {
      const rows = yield* sql<{ id: number; seconds: number }>`SELECT id, EXTRACT(EPOCH FROM (updated_at - ${killedAt}))::float8 AS seconds
        FROM simulation_jobs WHERE id IN ${sql.in(ids)} AND updated_at > ${killedAt}`.pipe(Effect.orDie)
      for (const row of rows) if (!firstChange.has(row.id)) firstChange.set(row.id, row.seconds)
      yield* Effect.sleep(Duration.millis(100))
    }
    return {
      jobs: ids.length,
      restartSeconds,
      seconds: [...firstChange.values()],
      stalled: ids.length - firstChange.size
    } satisfies RecoveryResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
