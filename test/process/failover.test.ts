/**
 * Several runners on one Postgres: when the runner that owns a job dies (kill -9), a surviving runner takes the
 * job over (after the shard lock expires, about 10 s) and completes it on the same pod.
 */
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const jobState = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const jobs = yield* sql<{ status: string; error_message: string | null; live_round: number | null }>`
      SELECT status, error_message, (live_status->>'round')::int AS live_round FROM simulation_jobs ORDER BY id LIMIT 1`
    const pods = yield* sql<{ pod_id: string }>`SELECT pod_id FROM pods WHERE pod_id IS NOT NULL`
    return { job: jobs[0], pods }
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

layer(Layer.empty, { excludeTestServices: true })("runner failover", (it) => {
  it.effect("kill -9 of the runner that owns a job: a second runner completes it on the same pod", () =>
    Effect.gen(function*() {
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.05" }
      const apiProcess = yield* startCli(["serve", "--role", "api"], env)
      yield* apiProcess.waitForStdout(/Listening on http/)
      const owner = yield* startCli(["serve", "--role", "runner"], env)
      yield* owner.waitForStdout(/Listening on: /)

      const token = yield* firstStartToken(home)
      const created = yield* apiCaller(port, token)("POST", "/api/jobs", {
        seed_text: "Harbour expansion hearing.",
        goal: "Will the harbour expand?",
        tier: "small",
        forecast_days: 5
      })
      assert.strictEqual(created.status, 201)
      yield* jobState(database.url).pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (state) => state.job?.status === "RUNNING" && (state.job.live_round ?? 0) >= 1 }),
        Effect.timeout(Duration.seconds(60)),
        Effect.orDie
      )

      // Only the owner runs workflows so far; a second runner joins, then the owner dies.
      const survivor = yield* startCli(["serve", "--role", "runner"], env)
      yield* survivor.waitForStdout(/Listening on: /)
      yield* owner.kill("SIGKILL")
      const [took, final] = yield* jobState(database.url).pipe(
        Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (state) => ["COMPLETED", "FAILED", "CANCELLED"].includes(state.job?.status ?? "") }),
        Effect.timeout(Duration.seconds(90)),
        Effect.orDie,
        Effect.timed
      )
      assert.strictEqual(final.job?.status, "COMPLETED", final.job?.error_message ?? "")
      assert.lengthOf(final.pods, 1, "the survivor re-bound to the pod instead of requesting another")
      assert.isBelow(Duration.toSeconds(took), 60, "taken over in seconds")
      for (const process of [apiProcess, survivor]) {
        yield* process.kill("SIGTERM")
        yield* process.result
      }
    }), 150_000)
})
