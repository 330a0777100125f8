/**
 * Each pod's worker secret through the lifecycle: made by the provision step, given to the pod in its environment,
 * kept in the pod's row only, sent on every call to the worker (the fake worker checks it, as a real one does), and
 * kept by a pod the step creates again after a crash.
 */
import * as Crypto from "node:crypto"
import { assert, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { JobJournalLive } from "../../layers/db/job-journal.ts"
import { FakePods } from "../../services/fake-pods.ts"
import { JobJournal } from "../../services/job-journal.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { assertPodInvariants, insertPendingJob, jobRow, runJob, ScenarioLive } from "../support/scenario.ts"

const workerSecrets = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ worker_secret: string | null }>`SELECT worker_secret FROM pods WHERE job_id = ${id} ORDER BY id`
    return rows.map((row) => row.worker_secret)
  }).pipe(Effect.orDie)

/** Where `text` appears in the database, the `pods` table aside: `table.column` for each hit. */
const foundOutsidePods = (text: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'pods'`
    const hits: Array<string> = []
    for (const { name } of tables) {
      const rows = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}" AS t WHERE position($1 in t::text) > 0`, [text])
      if ((rows[0]?.n ?? 0) > 0) hits.push(name)
    }
    return hits
  }).pipe(Effect.orDie)

const sha256 = (text: string) => `sha256:${Crypto.createHash("sha256").update(text).digest("hex")}`

layer(TestDatabaseLive)("lifecycle: the pod worker secret", (it) => {
  it.effect("each pod gets a fresh secret in its environment; every call sends it; it stays in the pod's row, out of logs and events", () => {
    const telemetry = telemetryRecorder()
    return telemetry.record(Effect.gen(function*() {
      const first = yield* insertPendingJob()
      const second = yield* insertPendingJob()
      yield* runJob(first)
      yield* runJob(second)
      assert.strictEqual((yield* jobRow(first)).status, "COMPLETED", (yield* jobRow(first)).error_message ?? "")
      assert.strictEqual((yield* jobRow(second)).status, "COMPLETED")

      const secrets = [...(yield* workerSecrets(first)), ...(yield* workerSecrets(second))]
      assert.lengthOf(secrets, 2)
      for (const secret of secrets) assert.match(secret ?? "", /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url")
      assert.notStrictEqual(secrets[0], secrets[1], "one secret per pod")
      // The fake provider recorded each pod's environment (the secret as its digest), and its worker asked for it.
      const pods = yield* (yield* FakePods).pods
      assert.deepStrictEqual(pods.map((pod) => pod.env?.["POD_WORKER_SECRET"]), secrets.map((secret) => sha256(secret!)))

      for (const secret of secrets) {
        assert.deepStrictEqual(yield* foundOutsidePods(secret!), [], "not in job events, the job row or anywhere else")
        for (const text of [...telemetry.lines, ...telemetry.spanText()]) assert.notInclude(text, secret!)
      }
      assert.isAbove(telemetry.lines.length, 0)
      assert.include(telemetry.spanNames(), "Lifecycle.startSimulation")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive())))
  }, 60_000)

  it.effect("a lifecycle that loses the secret is refused by the worker and the job fails at once", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.strictEqual(row.error_message, "worker_unauthorized: the pod's worker refused the secret it was created with (401)")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({
      journal: (journal) => ({ ...journal, podWorkerSecret: () => Effect.succeed(Option.none()) })
    }))), 60_000)

  it.effect("the row keeps the first secret recorded for it: a create retried after a crash uses the same one", () =>
    Effect.gen(function*() {
      const journal = yield* JobJournal
      const id = yield* insertPendingJob()
      const name = `fishcloud-sim-j${id}-a1`
      yield* journal.recordPodRequested(id, "fake", name, "NVIDIA L40S")
      const first = yield* journal.recordPodWorkerSecret(id, name, Redacted.make("first-secret-0123456789"))
      // The step runs again after a crash: the row is still live, the new secret loses.
      yield* journal.recordPodRequested(id, "fake", name, "NVIDIA L40S")
      const again = yield* journal.recordPodWorkerSecret(id, name, Redacted.make("second-secret-0123456789"))
      assert.strictEqual(Redacted.value(first), "first-secret-0123456789")
      assert.strictEqual(Redacted.value(again), "first-secret-0123456789")
      yield* journal.recordPodCreated(id, name, { id: "pod-1", gpu_type: "NVIDIA L40S", cost_per_hour: 1 })
      assert.deepStrictEqual(
        Option.map(yield* journal.podWorkerSecret(id, "pod-1"), Redacted.value),
        Option.some("first-secret-0123456789")
      )
      assert.isTrue(Option.isNone(yield* journal.podWorkerSecret(id, "another-pod")))

      // Once that pod is gone, the next pod of the same name gets a row, and a secret, of its own.
      yield* journal.recordPodTerminated(id, "pod-1", "lost")
      yield* journal.recordPodRequested(id, "fake", name, "NVIDIA L40S")
      const next = yield* journal.recordPodWorkerSecret(id, name, Redacted.make("third-secret-0123456789"))
      assert.strictEqual(Redacted.value(next), "third-secret-0123456789")
    }).pipe(Effect.provide(JobJournalLive)))
})
