/**
 * `DELETE /api/jobs/:id` deletes what the job left in the object store (its ten artifacts and its report), on the
 * disk store and on S3 (fauxqs on loopback), and nothing of any other job's. When the store fails, the delete
 * answers 503 and the job stays, listed and deletable again: never a 204 with its data left behind.
 */
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Ref } from "effect"
import type { SqlClient } from "effect/sql"
import { ObjectStore } from "../../services/object-store.ts"
import { reportKey, simDataFiles, simDataKey, simDataPrefix } from "../../src/domain/artifacts.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { assertProblem, createJob, failsWith, newJob, newUser, setStatus } from "../support/api-fixtures.ts"
import { configFromEnv } from "../support/config-env.ts"
import { type FakeS3, fakeS3, testSecret, uniqueBucket } from "../support/fake-s3.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

/** The fauxqs the S3-backed service stores in, so a test can stop it. */
class S3Server extends Context.Service<S3Server, FakeS3>()("test/S3Server") {}

/** The whole service with OBJECT_STORE=s3 on a fresh bucket of a fresh fauxqs. */
const S3ServiceLive = Layer.unwrap(Effect.gen(function*() {
  const server = yield* fakeS3
  const bucket = uniqueBucket("delete")
  yield* server.createBucket(bucket)
  const env = {
    OBJECT_STORE: "s3",
    S3_ENDPOINT: server.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: "fishcloud-test-key",
    S3_SECRET_ACCESS_KEY: testSecret
  }
  return TestServiceLive({ objectStore: "s3" }).pipe(
    Layer.provide(configFromEnv(env)),
    Layer.merge(Layer.succeed(S3Server, server))
  )
}))

/** A fresh user with two jobs (the first COMPLETED), each with its ten artifacts and report in the store. */
const userWithFinishedJobs = Effect.gen(function*() {
  const { token, api } = yield* newUser("deleter")
  const doomed = yield* createJob(api, newJob())
  const kept = yield* createJob(api, newJob())
  yield* setStatus(doomed.id, "COMPLETED")
  yield* putJobObjects(doomed.id)
  yield* putJobObjects(kept.id)
  return { token, api, doomed: doomed.id, kept: kept.id }
})

const putJobObjects = (id: JobId) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    for (const file of simDataFiles) yield* store.put(simDataKey(id, file), new TextEncoder().encode("[]"), "application/json")
    yield* store.put(reportKey(id), new TextEncoder().encode("# Report"), "text/markdown")
  }).pipe(Effect.orDie)

const keysOf = (id: JobId) =>
  Effect.gen(function*() {
    return (yield* Effect.orDie((yield* ObjectStore).list(simDataPrefix(id)))).map((object) => object.key)
  })

const deleteTests = (name: string, service: Layer.Layer<TestService | ObjectStore | LifecycleControl | SqlClient.SqlClient>) =>
  layer(service, { excludeTestServices: true })(`DELETE /api/jobs/:id on the ${name}`, (it) => {
    it.effect("deleting a finished job deletes its artifacts and report; the user's other job keeps its own", () =>
      Effect.gen(function*() {
        const { api, doomed, kept } = yield* userWithFinishedJobs
        assert.lengthOf(Object.keys((yield* api.jobs.simData({ params: { id: doomed } })).files), 10)
        yield* api.jobs.delete({ params: { id: doomed } })
        assert.deepStrictEqual(yield* keysOf(doomed), [], "nothing is left under the job's prefix")
        yield* failsWith(api.jobs.simData({ params: { id: doomed } }), "JobNotFound")
        assert.lengthOf(yield* keysOf(kept), 11)
        assert.lengthOf(Object.keys((yield* api.jobs.simData({ params: { id: kept } })).files), 10, "its downloads still work")
      }))

    it.effect("deleting a live job cancels it and deletes what it had uploaded", () =>
      Effect.gen(function*() {
        const { api } = yield* newUser("deleter")
        const job = yield* createJob(api, newJob())
        const store = yield* ObjectStore
        yield* Effect.orDie(store.put(simDataKey(job.id, "posts.json"), new TextEncoder().encode("[]"), "application/json"))
        yield* api.jobs.delete({ params: { id: job.id } })
        assert.include(yield* Ref.get((yield* LifecycleControl).cancelled), job.id)
        assert.deepStrictEqual(yield* keysOf(job.id), [])
      }))

    it.effect("another user's delete is a 404 and leaves every object", () =>
      Effect.gen(function*() {
        const { api, doomed } = yield* userWithFinishedJobs
        const stranger = yield* newUser("stranger")
        yield* failsWith(stranger.api.jobs.delete({ params: { id: doomed } }), "JobNotFound")
        assert.lengthOf(yield* keysOf(doomed), 11)
        assert.strictEqual((yield* api.jobs.get({ params: { id: doomed } })).status, "COMPLETED")
      }))
  })

deleteTests("disk store", TestServiceLive())
deleteTests("S3 store", S3ServiceLive)

layer(S3ServiceLive, { excludeTestServices: true })("DELETE /api/jobs/:id when the S3 store is down", (it) => {
  it.effect("answers a 503 storage-unavailable problem and the job stays listed to delete again (a live one cancelled first)", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, api, doomed } = yield* userWithFinishedJobs
      const live = yield* createJob(api, newJob())
      yield* (yield* S3Server).stop
      for (const id of [doomed, live.id]) {
        const reply = yield* service.call("DELETE", `/api/jobs/${id}`, { token })
        assertProblem(reply, 503, "storage-unavailable")
      }
      assert.strictEqual((yield* api.jobs.get({ params: { id: doomed } })).status, "COMPLETED")
      assert.strictEqual((yield* api.jobs.get({ params: { id: live.id } })).status, "CANCELLED", "the live job was cancelled first")
      const listed = (yield* api.jobs.list({ query: {} })).jobs.map((job) => job.id)
      assert.includeMembers(listed, [doomed, live.id])
    }))
})
