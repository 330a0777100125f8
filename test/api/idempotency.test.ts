import { assert, layer } from "@effect/vitest"
import { Effect, Ref, Result } from "effect"
import { SqlClient } from "effect/sql"
import { requestFingerprint } from "../../src/api/server/job-handlers.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { assertBadRequest, createJob, failsWith, jobBody, leavesNoRows, newJob, rowCounts, unique } from "../support/api-fixtures.ts"

/** How many jobs carry this goal (every test uses fresh goals). */
const jobsWithGoal = (goal: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs WHERE goal = ${goal}`
    return rows[0]!.n
  }).pipe(Effect.orDie)

/** The typed client of a (new or existing) user. */
const clientOf = (user: string) =>
  Effect.gen(function*() {
    const service = yield* TestService
    return yield* service.client(yield* service.tokenFor(user))
  })

layer(TestServiceLive(), { excludeTestServices: true })("Idempotency-Key on POST /api/jobs", (it) => {
  it.effect("the same key and body replays the first response: same job, 201, no second row or start", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const api = yield* clientOf("idem")
      const key = unique("replay-key")
      const body = newJob()
      // The client accepts only the declared 201 for a create, so each success here is a 201.
      const first = yield* createJob(api, body, key)
      const before = yield* rowCounts
      const startsBefore = yield* control.started
      const second = yield* createJob(api, body, key)
      assert.deepStrictEqual(second, first)
      assert.deepStrictEqual(yield* rowCounts, before)
      assert.deepStrictEqual(yield* control.started, startsBefore)
      assert.strictEqual(yield* jobsWithGoal(body.goal), 1)
    }))

  it.effect("the replay is the first response even after the job has moved on", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("idem")
      const key = unique("moved-on-key")
      const body = newJob()
      const first = yield* createJob(api, body, key)
      yield* api.jobs.cancel({ params: { id: first.id } })
      const replay = yield* createJob(api, body, key)
      assert.strictEqual(replay.id, first.id)
      assert.strictEqual(yield* jobsWithGoal(body.goal), 1, "a replay never creates a job, even when the first is cancelled")
    }))

  it.effect("the same key with another body is a 422 and changes nothing; the first body still replays", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("idem")
      const key = unique("reused-key")
      const body = newJob()
      const first = yield* createJob(api, body, key)
      for (const changed of [{ forecast_days: 15 }, { tier: "medium" as const }, { enrich_web: false }, { goal: body.goal + "!" }]) {
        yield* leavesNoRows(failsWith(createJob(api, { ...body, ...changed }, key), "IdempotencyKeyReused"))
      }
      const replay = yield* createJob(api, body, key)
      assert.strictEqual(replay.id, first.id)
    }))

  it.effect("concurrent requests with one key and one body: one job, every answer is it or a 409 in-flight", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("idem")
      const key = unique("race-key")
      const body = newJob()
      const results = yield* Effect.all(
        Array.from({ length: 12 }, () => Effect.result(createJob(api, body, key))),
        { concurrency: "unbounded" }
      )
      const created = results.filter(Result.isSuccess).map((result) => result.success)
      assert.isAtLeast(created.length, 1)
      const ids = new Set(created.map((job) => job.id))
      assert.strictEqual(ids.size, 1, "every 201 names the same job")
      for (const result of results.filter(Result.isFailure)) {
        assert.strictEqual(result.failure._tag, "IdempotencyKeyInFlight", String(result.failure))
      }
      assert.strictEqual(yield* jobsWithGoal(body.goal), 1)
    }))

  it.effect("a key claimed by a request still in progress is a 409; an abandoned claim (over 60 s) is taken over", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const api = yield* clientOf("idem-inflight")
      const userId = (yield* sql<{ id: number }>`SELECT id FROM users WHERE name = 'idem-inflight'`.pipe(Effect.orDie))[0]!.id
      const key = unique("inflight-key")
      const body = newJob()
      // What a concurrent request writes when it claims the key, before it answers.
      const fingerprint = requestFingerprint(body)
      yield* sql`INSERT INTO idempotency_keys (user_id, key, request_sha256) VALUES (${userId}, ${key}, ${fingerprint})`
        .pipe(Effect.orDie)
      yield* leavesNoRows(failsWith(createJob(api, body, key), "IdempotencyKeyInFlight"))
      assert.strictEqual(yield* jobsWithGoal(body.goal), 0)

      yield* sql`UPDATE idempotency_keys SET created_at = now() - interval '61 seconds'
        WHERE user_id = ${userId} AND key = ${key}`.pipe(Effect.orDie)
      const takenOver = yield* createJob(api, body, key)
      const replay = yield* createJob(api, body, key)
      assert.strictEqual(replay.id, takenOver.id)
    }))

  it.effect("keys are per user: the same key and body from two users makes two jobs", () =>
    Effect.gen(function*() {
      const alice = yield* clientOf("idem-alice")
      const bob = yield* clientOf("idem-bob")
      const key = unique("shared-key")
      const body = newJob()
      const a = yield* createJob(alice, body, key)
      const b = yield* createJob(bob, body, key)
      assert.notStrictEqual(a.id, b.id)
      assert.notStrictEqual(a.user_id, b.user_id)
      // And another body under the same key is only a conflict for the user who used it.
      yield* failsWith(createJob(bob, { ...body, forecast_days: 99 }, key), "IdempotencyKeyReused")
    }))

  it.effect("a 409 duplicate does not burn the key: after fixing it, the same key creates the job", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("idem")
      const key = unique("after-duplicate-key")
      const body = newJob()
      const existing = yield* createJob(api, body)
      yield* leavesNoRows(failsWith(createJob(api, body, key), "DuplicateJob"))
      yield* api.jobs.cancel({ params: { id: existing.id } })
      const created = yield* createJob(api, body, key)
      assert.notStrictEqual(created.id, existing.id)
      const replay = yield* createJob(api, body, key)
      assert.strictEqual(replay.id, created.id)
    }))

  it.effect("a 500 (lifecycle refused) does not burn the key: the retry with the same key creates the job", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const api = yield* clientOf("idem")
      const key = unique("after-500-key")
      const body = newJob()
      yield* Ref.set(control.failStarts, true)
      yield* leavesNoRows(failsWith(createJob(api, body, key), "LifecycleUnavailable"))
        .pipe(Effect.ensuring(Ref.set(control.failStarts, false)))
      const created = yield* createJob(api, body, key)
      assert.include(yield* control.started, created.id)
    }))

  it.effect("a key older than 24 hours is forgotten: it may be used again, even with another body", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const api = yield* clientOf("idem")
      const key = unique("expired-key")
      const first = yield* createJob(api, newJob(), key)
      yield* sql`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = ${key}`.pipe(Effect.orDie)
      const second = yield* createJob(api, newJob(), key)
      assert.notStrictEqual(second.id, first.id)
    }))

  it.effect("an empty or over-long (256 characters) key is a 400 naming the header; 255 characters is fine", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      // Raw HTTP: the client checks the header against the same schema and would not send these keys.
      for (const key of ["", "k".repeat(256)]) {
        const reply = yield* leavesNoRows(
          service.call("POST", "/api/jobs", { token, json: jobBody(), headers: { "idempotency-key": key } })
        )
        assertBadRequest(reply, ["headers", "idempotency-key"])
      }
      yield* createJob(yield* service.client(token), newJob(), "k".repeat(255))
    }))

  it.effect("a request that fails validation claims no key", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      const key = unique("invalid-body-key")
      // Raw HTTP: the client would not send an invalid payload.
      const invalid = yield* leavesNoRows(
        service.call("POST", "/api/jobs", { token, json: jobBody({ forecast_days: 0 }), headers: { "idempotency-key": key } })
      )
      assertBadRequest(invalid, ["payload", "forecast_days"])
      yield* createJob(yield* service.client(token), newJob(), key)
    }))
})
