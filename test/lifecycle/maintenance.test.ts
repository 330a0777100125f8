/**
 * Maintenance on the lifecycle scenario (real Postgres, fake provider, simulated time): the orphan-pod reaper ends
 * pods no live job uses and never a live job's current pod; the stale-job detector fails a job no execution runs
 * for. What a user would notice: pods stop billing, jobs stop hanging, an operator is alerted.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { MaintenanceStoreLive } from "../../layers/db/maintenance-store.ts"
import { FakePods } from "../../services/fake-pods.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { type Pod, PodProvider } from "../../services/pod-provider.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { podName } from "../../src/domain/pods.ts"
import { reapOrphanPods } from "../../src/lifecycle/maintenance/orphan-pod-reaper.ts"
import { detectStaleJobs } from "../../src/lifecycle/maintenance/stale-job-detector.ts"
import { sentAlerts } from "../support/recording-alerts.ts"
import { advanceBy, insertPendingJob, jobRow, podLedger, podRows, runJob, ScenarioLive, type ScenarioOptions } from "../support/scenario.ts"
import { TestDatabaseLive } from "../support/test-database.ts"

const maintenanceScenario = (options: ScenarioOptions = {}) =>
  MaintenanceStoreLive.pipe(Layer.provideMerge(ScenarioLive(options)))


/** The fake provider, except that every pod it has not terminated reads `stopped`: its container exited (RunPod EXITED). */
const providerReportingStopped = Layer.effect(PodProvider, Effect.gen(function*() {
  const provider = yield* PodProvider
  const stopped = (pod: Pod): Pod => pod.state === "terminated" ? pod : { ...pod, state: "stopped", worker_url: null }
  return PodProvider.of({
    ...provider,
    get: (podId) => Effect.map(provider.get(podId), Option.map(stopped)),
    listByPrefix: (prefix) => Effect.map(provider.listByPrefix(prefix), (pods) => pods.map(stopped))
  })
}))

/** A pod rented for `jobId` the way provisioning does it (row first, then the provider), outside any workflow. */
const rentPod = (jobId: JobId, attempt: number) =>
  Effect.gen(function*() {
    const provider = yield* PodProvider
    const journal = yield* JobJournal
    const name = podName(jobId, attempt)
    yield* journal.recordPodRequested(jobId, provider.name, name, "NVIDIA L40S")
    const pod = yield* provider.create({ name, gpuType: "NVIDIA L40S", cloudType: "ALL", env: { MAX_ROUNDS: "15" } }).pipe(Effect.orDie)
    yield* journal.recordPodCreated(jobId, name, pod)
    return pod
  })

const sql = <A>(run: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.gen(function*() {
    return yield* Effect.orDie(run(yield* SqlClient.SqlClient))
  })

layer(TestDatabaseLive)("maintenance: orphan-pod reaper", (it) => {
  it.effect("a pod left up by a terminate that failed is reaped once its grace is over, with an alert", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      assert.lengthOf((yield* podLedger).live, 1, "the terminate failed: the pod is still up")

      const report = yield* reapOrphanPods()
      assert.deepStrictEqual(report.reaped.map((pod) => pod.reason), ["terminate_failed"])
      assert.lengthOf((yield* podLedger).live, 0, "the reaper terminated it")
      assert.deepStrictEqual((yield* podRows(id)).map((pod) => [pod.terminated, pod.termination_reason]), [[true, "reaped: terminate_failed"]])
      const alerts = yield* sentAlerts
      assert.deepStrictEqual(alerts.map((alert) => alert._tag), ["terminate_failed", "terminate_failed", "pod_reaped"], "the teardown step and the finalizer each gave up, then the reaper")
      assert.strictEqual((yield* reapOrphanPods()).reaped.length, 0, "a second pass finds nothing")
    }).pipe(Effect.provide(maintenanceScenario({ faults: ["terminate-fails"] }))), 60_000)

  it.effect("a live job's current pod is never reaped; a deleted job's pod is, after 2 minutes; a pod without a row at once", () =>
    Effect.gen(function*() {
      const live = yield* insertPendingJob()
      yield* sql((client) => client`UPDATE simulation_jobs SET status = 'RUNNING' WHERE id = ${live}`)
      const current = yield* rentPod(live, 1)
      const deleted = yield* insertPendingJob()
      const orphan = yield* rentPod(deleted, 1)
      yield* sql((client) => client`DELETE FROM simulation_jobs WHERE id = ${deleted}`)
      const stranger = yield* (yield* PodProvider).create({ name: "fishcloud-sim-j999999-a1", gpuType: "NVIDIA L40S", cloudType: "ALL", env: {} }).pipe(Effect.orDie)

      const first = yield* reapOrphanPods()
      assert.deepStrictEqual(first.reaped.map((pod) => [pod.pod_id, pod.reason]), [[stranger.id, "no_record"]], "the deleted job's pod is too young")

      yield* advanceBy(3 * 3600)
      const second = yield* reapOrphanPods()
      assert.deepStrictEqual(second.reaped.map((pod) => [pod.pod_id, pod.reason]), [[orphan.id, "job_deleted"]])
      const up = (yield* (yield* FakePods).pods).filter((pod) => pod.terminated_at === null).map((pod) => pod.id)
      assert.deepStrictEqual(up, [current.id], "hours later, the live job's pod is still up")
    }).pipe(Effect.provide(maintenanceScenario())), 60_000)

  it.effect("a superseded pod of a live job is reaped after 10 minutes", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* sql((client) => client`UPDATE simulation_jobs SET status = 'RUNNING' WHERE id = ${id}`)
      const old = yield* rentPod(id, 1)
      const current = yield* rentPod(id, 2)
      yield* advanceBy(5 * 60)
      assert.lengthOf((yield* reapOrphanPods()).reaped, 0, "5 minutes: still within the grace")
      yield* advanceBy(6 * 60)
      const report = yield* reapOrphanPods()
      assert.deepStrictEqual(report.reaped.map((pod) => [pod.pod_id, pod.reason]), [[old.id, "superseded"]])
      assert.notInclude(report.reaped.map((pod) => pod.pod_id), current.id)
    }).pipe(Effect.provide(maintenanceScenario())), 60_000)

  it.effect("a pod whose container exited on its own (stopped, still billed for its volume) is reaped like a running one", () =>
    Effect.gen(function*() {
      const deleted = yield* insertPendingJob()
      const exited = yield* rentPod(deleted, 1)
      yield* sql((client) => client`DELETE FROM simulation_jobs WHERE id = ${deleted}`)
      yield* advanceBy(3 * 60)
      const report = yield* reapOrphanPods()
      assert.deepStrictEqual(report.reaped.map((pod) => [pod.pod_id, pod.reason]), [[exited.id, "job_deleted"]])
      assert.deepStrictEqual((yield* podLedger).live, [], "terminated at the provider")
    }).pipe(Effect.provide(Layer.provideMerge(providerReportingStopped, maintenanceScenario()))), 60_000)
})

layer(TestDatabaseLive)("maintenance: stale-job detector", (it) => {
  it.effect("a PENDING job no execution runs for is failed stale_pending after 15 minutes, not before", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* advanceBy(14 * 60)
      assert.lengthOf(yield* detectStaleJobs(), 0)
      assert.strictEqual((yield* jobRow(id)).status, "PENDING")
      yield* advanceBy(2 * 60)
      const stale = yield* detectStaleJobs()
      assert.deepStrictEqual(stale.map((job) => [job.job_id, job.failed]), [[id, true]])
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      assert.match(row.error_message ?? "", /^stale_pending: PENDING for 16 min with no execution running for the job/)
      assert.deepStrictEqual((yield* sentAlerts).map((alert) => alert._tag), ["job_stale"])
    }).pipe(Effect.provide(maintenanceScenario())), 60_000)

  it.effect("a RUNNING job whose workflow has ended is failed stale_running and its pod terminated", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob()
      yield* runJob(id)
      // What a lost execution looks like: the job row says RUNNING, a pod is up, the workflow is over.
      yield* sql((client) => client`UPDATE simulation_jobs SET status = 'RUNNING' WHERE id = ${id}`)
      const pod = yield* rentPod(id, 9)
      yield* advanceBy(76 * 60)
      const stale = yield* detectStaleJobs()
      assert.deepStrictEqual(stale.map((job) => [job.status, job.failed]), [["RUNNING", true]])
      assert.match((yield* jobRow(id)).error_message ?? "", /^stale_running: /)
      const rows = yield* podRows(id)
      assert.deepStrictEqual(rows.filter((row) => row.pod_id === pod.id).map((row) => [row.terminated, row.termination_reason]), [[true, "job_failed"]])
      assert.isTrue(Option.isNone(Option.fromNullishOr((yield* podLedger).live.find((up) => up.id === pod.id))))
    }).pipe(Effect.provide(maintenanceScenario())), 60_000)
})
