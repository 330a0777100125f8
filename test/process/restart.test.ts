/**
 * The service as a real process on real Postgres, killed mid-job: `kill -9` and SIGTERM while the pod simulates,
 * then started again. The job must complete on the SAME pod (no second pod requested), which is then terminated.
 * Rehearsal mode (fake pods, state in $FISHCLOUD_HOME/fake-pods.jsonl) at a small time scale keeps this fast.
 */
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { loadFakeState } from "../../layers/pods/fake/fake-store.ts"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const fakeState = loadFakeState

const startService = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const service = yield* startCli(["serve"], env)
    yield* service.waitForStdout(/Listening on http/)
    return service
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
    return yield* sql<{ pod_id: string; ready: boolean; terminated: boolean; termination_reason: string | null }>`
      SELECT pod_id, ready_at IS NOT NULL AS ready, terminated_at IS NOT NULL AS terminated, termination_reason
      FROM pods WHERE job_id = ${jobId} AND pod_id IS NOT NULL ORDER BY id`
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

/**
 * The pod's worker secret, and where else it appears: every other table (the workflow engine's journal of activity
 * results among them), and the text the service printed. It must be nowhere but its pod's row.
 */
const secretLeaks = (url: string, jobId: number, printed: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const rows = yield* sql<{ worker_secret: string | null }>`SELECT worker_secret FROM pods WHERE job_id = ${jobId} AND pod_id IS NOT NULL`
    const secret = rows[0]?.worker_secret ?? null
    if (secret === null) return { secret, leaks: [] }
    const tables = yield* sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'pods'`
    const leaks: Array<string> = []
    for (const { name } of tables) {
      const hits = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}" AS t WHERE position($1 in t::text) > 0`, [secret])
      if ((hits[0]?.n ?? 0) > 0) leaks.push(`table ${name}`)
    }
    if (printed.some((text) => text.includes(secret))) leaks.push("the service's output")
    return { secret, leaks }
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

/** When to crash: a condition on the job as the API shows it and on its pods. */
interface CrashPoint {
  readonly phase: string
  readonly scale: string
  readonly reached: (job: Record<string, unknown>, pods: ReadonlyArray<{ readonly ready: boolean }>) => boolean
}

const simulating: CrashPoint = {
  phase: "the simulation to run",
  scale: "0.02",
  reached: (job) => job["status"] === "RUNNING" && job["pipeline_stage"] === 3
}
// At scale 0.1 the starting and health windows last 2 s and 3 s: wide enough to hit on a busy machine.
const provisioning: CrashPoint = {
  phase: "a pod to be requested but not yet running",
  scale: "0.1",
  reached: (job, pods) => job["status"] === "PROVISIONING" && pods.length === 1 && !pods[0]!.ready
}
const waitingForHealth: CrashPoint = {
  phase: "the pod to run while its worker is not yet healthy",
  scale: "0.1",
  reached: (job, pods) => job["status"] === "PROVISIONING" && pods.length === 1 && pods[0]!.ready
}

const crashAndResume = (signal: "SIGKILL" | "SIGTERM", crashPoint: CrashPoint = simulating) =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const port = String(yield* closedPort)
    const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: crashPoint.scale }

    const first = yield* startService(env)
    const token = yield* firstStartToken(home)
    const call = apiCaller(port, token)
    const created = yield* call("POST", "/api/jobs", { seed_text: "The council votes on Tuesday.", goal: "Will the tram be approved?", tier: "small", forecast_days: 7 })
    assert.strictEqual(created.status, 201)
    const jobId = created.json["id"] as number

    yield* waitFor(
      Effect.gen(function*() {
        const job = (yield* call("GET", `/api/jobs/${jobId}`)).json
        const pods = (yield* podsOf(database.url, jobId)).map((pod) => ({ ready: pod.ready }))
        return crashPoint.reached(job, pods) ? true : undefined
      }),
      crashPoint.phase
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
      180
    )
    assert.strictEqual(done["status"], "COMPLETED", String(done["error_message"]))

    const pods = yield* podsOf(database.url, jobId)
    assert.lengthOf(pods, 1, "no second pod")
    assert.strictEqual(pods[0]!.pod_id, during.pods[0]!.id, "the job completed on the same pod")
    assert.isTrue(pods[0]!.terminated)
    const after = yield* fakeState(home)
    assert.deepStrictEqual(after.ledger.map((entry) => entry.op), ["create", "terminate"])
    yield* second.kill("SIGTERM")
    const printed = [yield* first.result, yield* second.result].flatMap((result) => [result.stdout, result.stderr])
    // The resumed job talked to its pod with the secret kept in the pod's row (the fake worker asks for it), and the
    // secret went nowhere else: not into the journal of activity results, not into the logs.
    const { secret, leaks } = yield* secretLeaks(database.url, jobId, printed)
    assert.isNotNull(secret, "the pod has a worker secret")
    assert.deepStrictEqual(leaks, [])
  })

layer(Layer.empty, { excludeTestServices: true })("the service restarted mid-job", (it) => {
  it.effect("kill -9 while the pod simulates: the restarted service completes the job on the same pod", () => crashAndResume("SIGKILL"), 150_000)
  it.effect("SIGTERM while the pod simulates: not a cancel; the next start completes the job on the same pod", () => crashAndResume("SIGTERM"), 150_000)
  it.effect("kill -9 while the pod is starting: the restart finds the pod by its name instead of creating another", () =>
    crashAndResume("SIGKILL", provisioning), 300_000)
  it.effect("kill -9 while waiting for the worker's health: the restart re-binds to the pod", () =>
    crashAndResume("SIGKILL", waitingForHealth), 300_000)
})
