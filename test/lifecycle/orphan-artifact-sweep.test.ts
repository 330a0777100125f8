/**
 * The orphan-artifact sweep on a real database and the in-memory object store: what a deleted job left in storage
 * (a late upload of its cancelled pod, a delete cut short) is deleted by the maintenance pass; a job that exists, an
 * id this database never issued and a folder that is no job's are left alone; a pass does a bounded amount of work;
 * a store that fails is reported and the next pass finishes.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { MaintenanceStoreLive } from "../../layers/db/maintenance-store.ts"
import { ObjectStore } from "../../services/object-store.ts"
import { reportKey, simDataFiles, simDataKey, simDataPrefix } from "../../src/domain/artifacts.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { simDataRoot, sweepOrphanArtifacts } from "../../src/lifecycle/maintenance/orphan-artifact-sweep.ts"
import { MemoryObjectStoreLive, type MemoryObjectStoreOptions } from "../support/memory-object-store.ts"
import { insertPendingJob } from "../support/scenario.ts"
import { TestDatabaseLive } from "../support/test-database.ts"

const sweepScenario = (options: MemoryObjectStoreOptions = {}) => Layer.merge(MaintenanceStoreLive, MemoryObjectStoreLive(options))

/** The ten artifacts and the report of `jobId`, as a finished job leaves them. */
const putJobObjects = (jobId: JobId) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    for (const file of simDataFiles) yield* store.put(simDataKey(jobId, file), new TextEncoder().encode("[]"), "application/json")
    yield* store.put(reportKey(jobId), new TextEncoder().encode("# Report"), "text/markdown")
  }).pipe(Effect.orDie)

const keysUnder = (prefix: string) =>
  Effect.gen(function*() {
    return (yield* Effect.orDie((yield* ObjectStore).list(prefix))).map((object) => object.key)
  })

/** A job that existed and was deleted (its row is gone). */
const deletedJob = Effect.gen(function*() {
  const id = yield* insertPendingJob()
  const sql = yield* SqlClient.SqlClient
  yield* Effect.orDie(sql`DELETE FROM simulation_jobs WHERE id = ${id}`)
  return id
})

layer(TestDatabaseLive)("maintenance: orphan-artifact sweep", (it) => {
  it.effect("a deleted job's objects are deleted; a live job's, a never-issued id's and a folder of no job stay", () =>
    Effect.gen(function*() {
      const live = yield* insertPendingJob()
      const gone = yield* deletedJob
      yield* putJobObjects(live)
      yield* putJobObjects(gone)
      const store = yield* ObjectStore
      const strangers = ["sim-data/99999999/posts.json", "sim-data/notes/readme.md", "sim-data/0/posts.json", "reports/7.md"]
      for (const key of strangers) yield* Effect.orDie(store.put(key, new TextEncoder().encode("x"), "text/plain"))

      const report = yield* sweepOrphanArtifacts()
      assert.deepStrictEqual(report.swept, [{ job_id: gone, objects: 11 }])
      assert.deepStrictEqual(report.failed, [])
      assert.strictEqual(report.examined, 3, "the folders of jobs: live, gone and 99999999")
      assert.isFalse(report.more)
      assert.deepStrictEqual(yield* keysUnder(simDataPrefix(gone)), [])
      assert.lengthOf(yield* keysUnder(simDataPrefix(live)), 11, "the live job keeps its artifacts and report")
      for (const key of strangers) assert.include(yield* keysUnder(""), key)

      // A late upload of the deleted job's pod comes after the pass: the next pass deletes it.
      yield* Effect.orDie(store.put(simDataKey(gone, "posts.json"), new TextEncoder().encode("[]"), "application/json"))
      assert.deepStrictEqual((yield* sweepOrphanArtifacts()).swept, [{ job_id: gone, objects: 1 }])
      assert.deepStrictEqual((yield* sweepOrphanArtifacts()).swept, [], "then there is nothing left to sweep")
      assert.deepStrictEqual(yield* Effect.orDie(store.listFolders(simDataRoot)), [
        simDataPrefix(live),
        "sim-data/0/",
        "sim-data/99999999/",
        "sim-data/notes/"
      ].sort())
    }).pipe(Effect.provide(sweepScenario())))

  it.effect("a pass is bounded: five deleted jobs at two a pass take three passes, each saying whether more wait", () =>
    Effect.gen(function*() {
      const gone = yield* Effect.forEach([1, 2, 3, 4, 5], () => deletedJob)
      for (const id of gone) yield* putJobObjects(id)
      const limits = { jobsPerPass: 2, idsPerQuery: 1 }
      const passes = [yield* sweepOrphanArtifacts(limits), yield* sweepOrphanArtifacts(limits), yield* sweepOrphanArtifacts(limits)]
      assert.deepStrictEqual(passes.map((pass) => [pass.swept.length, pass.more]), [[2, true], [2, true], [1, false]])
      assert.sameMembers(passes.flatMap((pass) => pass.swept.map((job) => job.job_id)), gone)
      assert.deepStrictEqual(yield* keysUnder(simDataRoot), [])
    }).pipe(Effect.provide(sweepScenario())))

  it.effect("a store that will not delete one job's objects: the pass says so, sweeps the rest, the next pass finishes", () => {
    let storeRefuses = true
    const stuckPrefix: Array<string> = []
    return Effect.gen(function*() {
      const [stuck, other] = [yield* deletedJob, yield* deletedJob]
      stuckPrefix.push(simDataPrefix(stuck))
      yield* putJobObjects(stuck)
      yield* putJobObjects(other)

      const first = yield* sweepOrphanArtifacts()
      assert.deepStrictEqual(first.swept, [{ job_id: other, objects: 11 }])
      assert.deepStrictEqual(first.failed.map((job) => job.job_id), [stuck])
      assert.include(first.failed[0]!.error, "failure injected by the test")
      assert.lengthOf(yield* keysUnder(simDataPrefix(stuck)), 11)

      storeRefuses = false
      const second = yield* sweepOrphanArtifacts()
      assert.deepStrictEqual(second.swept, [{ job_id: stuck, objects: 11 }])
      assert.deepStrictEqual(second.failed, [])
      assert.deepStrictEqual(yield* keysUnder(simDataRoot), [])
    }).pipe(Effect.provide(sweepScenario({
      failWhen: (operation, key) => storeRefuses && operation === "deletePrefix" && stuckPrefix.includes(key)
    })))
  })

  it.effect("a store that cannot list: the pass reports it and deletes nothing", () =>
    Effect.gen(function*() {
      const gone = yield* deletedJob
      yield* putJobObjects(gone)
      const report = yield* sweepOrphanArtifacts()
      assert.deepStrictEqual(report.swept, [])
      assert.deepStrictEqual(report.failed.map((failure) => failure.job_id), [null])
      assert.lengthOf(yield* keysUnder(simDataPrefix(gone)), 11)
    }).pipe(Effect.provide(sweepScenario({ failWhen: (operation) => operation === "listFolders" }))))
})
