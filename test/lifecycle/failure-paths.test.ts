/**
 * Every failure path ends in a terminal status, with faults injected through test layers (the database as the
 * lifecycle sees it, the object store, the provider): no job stays live without an execution running for it, and
 * no pod is left up (the fake provider's ledger is checked), except a pod the provider refuses to terminate, which
 * is recorded `terminate_failed` for the orphan-pod reaper.
 */
import { assert, layer } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { DatabaseUnavailable } from "../../services/database-unavailable.ts"
import type { JobJournal } from "../../services/job-journal.ts"
import { FakePods } from "../../services/fake-pods.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { assertPodInvariants, insertPendingJob, jobRow, podLedger, podRows, runJob, ScenarioLive, statusHistory } from "../support/scenario.ts"
import { SqlClient } from "effect/sql"
import { sentAlerts } from "../support/recording-alerts.ts"
import { reportKey } from "../../src/domain/artifacts.ts"
import type { JobId } from "../../src/domain/ids.ts"

/** A database that fails `method` every time (a defect, as the journal's database errors are). */
const failing = <K extends keyof JobJournal["Service"]>(method: K) => (journal: JobJournal["Service"]): JobJournal["Service"] => ({
  ...journal,
  [method]: () => Effect.die(new Error(`injected: database error in ${method}`))
})

/**
 * A database that stops answering for `seconds` (simulated) from the job's first live-status write, while it runs:
 * every journal call in that window dies `DatabaseUnavailable`, as the stores report a restarting Postgres.
 */
const outage = (seconds: number) => (journal: JobJournal["Service"]): JobJournal["Service"] => {
  let from: number | undefined
  type Method = (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown>
  const guard = (name: string, method: Method) =>
    (...args: ReadonlyArray<unknown>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (from === undefined && name === "saveLiveStatuses") from = now
        return from !== undefined && now < from + seconds * 1000
          ? Effect.die(new DatabaseUnavailable({ cause: new Error("injected: the database system is shutting down") }))
          : method(...args)
      })
  // Every method of the journal, guarded alike: each keeps its own signature, which a record of methods cannot say.
  const guarded = Object.entries(journal).map(([name, method]) => [name, guard(name, method as unknown as Method)])
  return Object.fromEntries(guarded) as unknown as JobJournal["Service"]
}

const podEvents = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ event: string; reason: string | null }>`SELECT data->>'event' AS event, data->>'reason' AS reason
      FROM job_events WHERE job_id = ${id} AND kind = 'pod' ORDER BY seq`
  }).pipe(Effect.orDie)

layer(TestDatabaseLive)("lifecycle: every failure ends the job", (it) => {
  it.effect("a database error while polling fails the job internal_error and its pod is torn down", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^internal_error: .*injected: database error in saveLiveStatuses/)
      assert.deepStrictEqual((yield* sentAlerts).map((alert) => alert._tag), ["internal_error"], "an operator is told")
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => [pod.terminated, pod.termination_reason]), [[true, "job_failed"]])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ journal: failing("saveLiveStatuses") }))), 60_000)

  it.effect("a database outage of 60 s while the job runs: its steps wait it out and the job completes on its one pod", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "COMPLETED", row.error_message ?? "")
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "REPORTING", "COMPLETED"])
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.termination_reason), ["completed"], "no second pod")
      assert.deepStrictEqual(yield* sentAlerts, [])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ journal: outage(60) }))), 60_000)

  it.effect("the database away just after the provider terminated the pod: the record waits, the provider is asked once", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => [pod.terminated, pod.termination_reason]), [[true, "completed"]])
      const calls = (yield* (yield* FakePods).ledger).filter((entry) => entry.op === "terminate" || entry.op === "terminate-missing")
      assert.deepStrictEqual(calls.map((entry) => entry.op), ["terminate"], "one terminate call, no second one for a gone pod")
    }).pipe(Effect.provide(ScenarioLive({
      journal: (journal) => {
        let calls = 0
        return {
          ...journal,
          recordPodTerminated: (...args) =>
            Effect.suspend(() =>
              ++calls <= 2
                ? Effect.die(new DatabaseUnavailable({ cause: new Error("injected: the database system is shutting down") }))
                : journal.recordPodTerminated(...args))
        }
      }
    }))), 60_000)

  it.effect("a database away for 150 s, longer than a step waits (about 100 s): the job fails internal_error once it is back", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^internal_error: .*the database system is shutting down/)
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ journal: outage(150) }))), 60_000)

  it.effect("an object store that keeps failing at finalize fails the job finalize_failed, pod torn down", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^finalize_failed: /)
      assert.isFalse(row.sim_data_available)
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ storeFailWhen: (operation) => operation === "head" }))), 60_000)

  it.effect("a pod the provider refuses to terminate is recorded terminate_failed and the job still completes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      const pods = yield* podRows(id)
      assert.deepStrictEqual(pods.map((pod) => [pod.terminated, pod.termination_reason]), [[false, "terminate_failed: job_finished"]])
      assert.deepInclude(yield* podEvents(id), { event: "terminate_failed", reason: "completed" })
      const { live } = yield* podLedger
      assert.lengthOf(live, 1, "the pod is still up: the reaper's to finish")
      const refusals = (yield* (yield* FakePods).ledger).filter((entry) => entry.op === "terminate-refused")
      assert.isAbove(refusals.length, 5, "terminate was retried before giving up")
    }).pipe(Effect.provide(ScenarioLive({ faults: ["terminate-fails"] }))), 60_000)

  it.effect("a report that cannot be saved fails the job report_persist_failed; the markdown stays in the store", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.strictEqual(
        row.error_message,
        `report_persist_failed: the report could not be saved (the report is kept in the object store at ${reportKey(id)})`
      )
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "REPORTING", "FAILED"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ journal: failing("saveReport") }))), 60_000)

  it.effect("a database error in the report workflow fails the job internal_error instead of leaving it REPORTING", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^internal_error: .*injected: database error in loadFacts/)
    }).pipe(Effect.provide(ScenarioLive({
      // loadFacts is read first by the simulation workflow (it must work) and again by the report.
      journal: (journal) => {
        let calls = 0
        return { ...journal, loadFacts: (jobId) => ++calls === 1 ? journal.loadFacts(jobId) : Effect.die(new Error("injected: database error in loadFacts")) }
      }
    }))), 60_000)
})

layer(TestDatabaseLive)("lifecycle: provisioning again", (it) => {
  it.effect("a total stock-out is provisioned again 30 s later under a new name, and the job completes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      const pods = yield* podRows(id)
      assert.deepStrictEqual(pods.map((pod) => [pod.name.replace(/^fishcloud-sim-j\d+-/, ""), pod.pod_id === null, pod.termination_reason]), [
        ["a1", true, "provision_failed: no_capacity"],
        ["a2", false, "completed"]
      ])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["total-stockout"] }))), 60_000)

  it.effect("four total stock-outs in a row fail the job no_gpu_capacity after three retries", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      const took = yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^no_gpu_capacity: no capacity for any of /)
      assert.lengthOf(yield* podRows(id), 4)
      assert.isAtLeast(took, 90, "three retries, 30 s apart")
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["total-stockout"], faultyPods: 4 }))), 60_000)

  it.effect("a pod that never gets ready is terminated and a new one runs the job", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => pod.termination_reason), ["readiness_timeout", "completed"])
      yield* assertPodInvariants
    }).pipe(Effect.provide(ScenarioLive({ faults: ["never-ready"] }))), 60_000)
})
