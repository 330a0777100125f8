/**
 * The reaper as an operator meets it: a service killed with kill -9 mid-job leaves its pod up; the job's row is
 * deleted behind its back; `fishcloud maintenance run` (after the restart) terminates the pod, deletes what the job
 * left in the object store, and says so.
 * Rehearsal pods (the fake provider keeps its state in the service's home, so the CLI sees the same pods).
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { loadFakeState } from "../../layers/pods/fake/fake-store.ts"
import { apiCaller, closedPort, firstStartToken, runCli, scopedHome, startCli } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const onDatabase = <A>(url: string, run: (sql: PgClient.PgClient) => Effect.Effect<A, unknown>) =>
  Effect.gen(function*() {
    return yield* run(yield* PgClient.PgClient)
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

const harbourJob = { seed_text: "Harbour expansion hearing.", goal: "Will the harbour expand?", tier: "large", forecast_days: 5 }

/** Pods the fake provider still runs, from its state file. */
const livePods = (home: string) =>
  Effect.map(loadFakeState(home), (state) => state.pods.filter((pod) => pod.terminated_at === null).map((pod) => pod.id))

layer(Layer.empty, { excludeTestServices: true })("maintenance from the command line", (it) => {
  it.effect("kill -9 mid-job, the job deleted: `maintenance run` terminates the pod it left up", () =>
    Effect.gen(function*() {
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      // Time scaled 1/100: the reaper's 2-minute grace for a deleted job's pod is 1.2 s.
      const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.01" }
      const service = yield* startCli(["serve"], env)
      yield* service.waitForStdout(/Listening on http/)
      const token = yield* firstStartToken(home)
      const created = yield* apiCaller(port, token)("POST", "/api/jobs", harbourJob)
      assert.strictEqual(created.status, 201)
      yield* onDatabase(database.url, (sql) => sql<{ status: string }>`SELECT status FROM simulation_jobs`).pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (rows) => rows[0]?.status === "RUNNING" }),
        Effect.timeout(Duration.seconds(60)),
        Effect.orDie
      )
      yield* service.kill("SIGKILL")
      yield* service.result
      const left = yield* livePods(home)
      assert.lengthOf(left, 1, "the killed service left its pod up")

      yield* onDatabase(database.url, (sql) => sql`DELETE FROM simulation_jobs`)
      // What the deleted job left in the object store (as a late upload of its pod would): the pass deletes it.
      const jobFolder = NodePath.join(home, "objects", "sim-data", "1")
      yield* Effect.promise(async () => {
        await Fs.mkdir(jobFolder, { recursive: true })
        await Fs.writeFile(NodePath.join(jobFolder, "posts.json"), "[]")
      })
      // The pod row was written well over 1.2 s before the CLI below asks (the job got to RUNNING, then a kill, a
      // delete and a CLI start), so its grace is over.
      const result = yield* runCli(["maintenance", "run"], env)
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, `pod ${left[0]} (fishcloud-sim-j1-a1, job 1): terminated, job_deleted`)
      assert.include(result.stdout, "1 of 1 pod(s) reaped")
      assert.match(result.stdout, /job 1 \(deleted\): \d+ object\(s\) deleted from the object store/)
      assert.include(result.stdout, "artifacts of 1 deleted job(s) removed")
      assert.isFalse(yield* Effect.promise(() => Fs.access(jobFolder).then(() => true, () => false)), "the job's folder is gone")
      assert.deepStrictEqual(yield* livePods(home), [], "no pod is left up")
      const rows = yield* onDatabase(database.url, (sql) => sql<{ termination_reason: string }>`SELECT termination_reason FROM pods`)
      assert.deepStrictEqual(rows.map((row) => row.termination_reason), ["reaped: job_deleted"])
    }), 150_000)

  it.effect("the stale-job detector fails a job with no execution and leaves one whose execution still runs", () =>
    Effect.gen(function*() {
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.01" }
      const service = yield* startCli(["serve"], env)
      yield* service.waitForStdout(/Listening on http/)
      const token = yield* firstStartToken(home)
      const reply = yield* apiCaller(port, token)("POST", "/api/jobs", harbourJob)
      assert.strictEqual(reply.status, 201)
      const created = { id: reply.json["id"] as number }
      yield* onDatabase(database.url, (sql) => sql<{ status: string }>`SELECT status FROM simulation_jobs WHERE id = ${created.id}`).pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (rows) => rows[0]?.status === "RUNNING" }),
        Effect.timeout(Duration.seconds(60)),
        Effect.orDie
      )
      yield* service.kill("SIGKILL")
      yield* service.result
      // Its execution is not finished (a restart would resume it): make it look RUNNING for 500 s, just past the
      // large tier's scaled budget of 450 s. And a PENDING job that was never started, an hour old.
      const orphan = yield* onDatabase(database.url, (sql) =>
        Effect.gen(function*() {
          yield* sql`UPDATE job_events SET at = now() - interval '500 seconds' WHERE job_id = ${created.id} AND kind = 'status'`
          const rows = yield* sql<{ id: number }>`INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, enrich_web, forecast_days, status, routing, last_event_seq)
            SELECT user_id, seed_text, goal, tier, false, 5, 'PENDING', routing, 1 FROM simulation_jobs WHERE id = ${created.id} RETURNING id`
          yield* sql`INSERT INTO job_events (job_id, seq, kind, data, at) VALUES (${rows[0]!.id}, 1, 'status', '{"to":"PENDING"}'::jsonb, now() - interval '1 hour')`
          return rows[0]!.id
        }))

      const result = yield* runCli(["maintenance", "run"], env)
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, `job ${orphan}: PENDING for 60 min: failed (no execution)`)
      assert.include(result.stdout, `job ${created.id}: RUNNING for 8 min: its execution still runs (alerted)`)
      const rows = yield* onDatabase(database.url, (sql) => sql<{ id: number; status: string; error_message: string | null }>`
        SELECT id, status, error_message FROM simulation_jobs ORDER BY id`)
      assert.deepStrictEqual(rows.map((row) => [row.id, row.status]), [[created.id, "RUNNING"], [orphan, "FAILED"]])
      assert.match(rows[1]!.error_message ?? "", /^stale_pending: /)

      // A second pass (the cron's next tick, or an operator's) remembers the alert: one per stay in a status.
      const again = yield* runCli(["maintenance", "run"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.notInclude(again.stdout, `job ${created.id}:`, "the job still over its budget is not alerted twice")
      assert.include(again.stdout, "0 stale job(s) failed")
    }), 150_000)
})
