/**
 * The service as a real process on real Postgres, killed mid-job: `kill -9` and SIGTERM while the pod simulates,
 * then started again. The job must complete on the SAME pod (no second pod requested), which is then terminated.
 * Rehearsal mode (fake pods, state in $FISHCLOUD_HOME/fake-pods.json) at a small time scale keeps this fast.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { pgClient } from "../../layers/db/database.ts"
import { closedPort, scopedHome, startCli } from "../cli/cli-process.ts"
import { scopedTestDatabase } from "../support/database.ts"

interface FakeState {
  readonly pods: ReadonlyArray<{ readonly id: string; readonly terminated_at: number | null }>
  readonly ledger: ReadonlyArray<{ readonly op: string; readonly pod_id: string | null }>
}

const fakeState = (home: string) =>
  Effect.promise(() => Fs.readFile(NodePath.join(home, "fake-pods.json"), "utf8").then((text) => JSON.parse(text) as FakeState))

const startService = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const service = yield* startCli(["serve"], env)
    yield* service.waitForStdout(/Listening on http/)
    return service
  })

const api = (port: string, token: string) => (method: string, path: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, json: await response.json() as Record<string, unknown> }
  })

const waitFor = <A>(check: Effect.Effect<A | undefined>, what: string, seconds = 60) =>
  check.pipe(
    Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (value) => value !== undefined }),
    Effect.timeout(Duration.seconds(seconds)),
    Effect.catchTag("TimeoutError", () => Effect.die(`timed out waiting for ${what}`)),
    Effect.map((value) => value!)
  )

const podsOf = (url: string, jobId: number) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    return yield* sql<{ pod_id: string; terminated: boolean; termination_reason: string | null }>`
      SELECT pod_id, terminated_at IS NOT NULL AS terminated, termination_reason FROM pods WHERE job_id = ${jobId} ORDER BY id`
  }).pipe(Effect.provide(pgClient(Redacted.make(url))), Effect.scoped, Effect.orDie)

const crashAndResume = (signal: "SIGKILL" | "SIGTERM") =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const port = String(yield* closedPort)
    const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, FISHCLOUD_TIME_SCALE: "0.02" }

    const first = yield* startService(env)
    const token = yield* waitFor(
      Effect.promise(() => Fs.readFile(NodePath.join(home, "token"), "utf8").then((text) => text.trim(), () => undefined)),
      "the first-start token"
    )
    const call = api(port, token)
    const created = yield* call("POST", "/api/jobs", { seed_text: "The council votes on Tuesday.", goal: "Will the tram be approved?", tier: "small", forecast_days: 7 })
    assert.strictEqual(created.status, 201)
    const jobId = created.json["id"] as number

    // Crash while the pod simulates.
    yield* waitFor(
      Effect.map(call("GET", `/api/jobs/${jobId}`), (reply) => reply.json["status"] === "RUNNING" && reply.json["pipeline_stage"] === 3 ? true : undefined),
      "the simulation to run"
    )
    yield* first.kill(signal)
    const [stoppedIn] = yield* Effect.timed(first.result)
    assert.isBelow(Duration.toSeconds(stoppedIn), 10, "a shutdown takes a few seconds, not the length of a poll activity")
    const during = yield* fakeState(home)
    assert.lengthOf(during.pods, 1)
    assert.isNull(during.pods[0]!.terminated_at, "a crash or a shutdown is not a cancel: the pod stays up")

    const second = yield* startService(env)
    const done = yield* waitFor(
      Effect.map(call("GET", `/api/jobs/${jobId}`), (reply) => ["COMPLETED", "FAILED", "CANCELLED"].includes(reply.json["status"] as string) ? reply.json : undefined),
      "the job to finish after the restart",
      90
    )
    assert.strictEqual(done["status"], "COMPLETED", String(done["error_message"]))

    const pods = yield* podsOf(database.url, jobId)
    assert.lengthOf(pods, 1, "no second pod")
    assert.strictEqual(pods[0]!.pod_id, during.pods[0]!.id, "the job completed on the same pod")
    assert.isTrue(pods[0]!.terminated)
    const after = yield* fakeState(home)
    assert.deepStrictEqual(after.ledger.map((entry) => entry.op), ["create", "terminate"])
    yield* second.kill("SIGTERM")
    yield* second.result
  })

layer(Layer.empty, { excludeTestServices: true })("the service restarted mid-job", (it) => {
  it.effect("kill -9 while the pod simulates: the restarted service completes the job on the same pod", () => crashAndResume("SIGKILL"), 150_000)
  it.effect("SIGTERM while the pod simulates: not a cancel; the next start completes the job on the same pod", () => crashAndResume("SIGTERM"), 150_000)
})
