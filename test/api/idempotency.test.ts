import { assert, layer } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { requestFingerprint } from "../../src/api/server/jobs.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, testService } from "../support/service.ts"
import { assertBadRequest, assertProblem, leavesNoRows, newJob, rowCounts, unique } from "./fixtures.ts"

const withKey = (key: string) => ({ "idempotency-key": key })

/** How many jobs carry this goal (every test uses fresh goals). */
const jobsWithGoal = (goal: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs WHERE goal = ${goal}`
    return rows[0]!.n
  }).pipe(Effect.orDie)

layer(testService(), { excludeTestServices: true })("Idempotency-Key on POST /api/jobs", (it) => {
  it.effect("the same key and body replays the first response: same job, 201, no second row or start", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor("idem")
      const key = unique("replay-key")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(first.status, 201, first.text)
      const before = yield* rowCounts
      const startsBefore = yield* control.started
      const second = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(second.status, 201, second.text)
      assert.deepStrictEqual(second.json, first.json)
      assert.deepStrictEqual(yield* rowCounts, before)
      assert.deepStrictEqual(yield* control.started, startsBefore)
      assert.strictEqual(yield* jobsWithGoal(body.goal), 1)
    }))

  it.effect("the replay is the first response even after the job has moved on", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      const key = unique("moved-on-key")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      yield* service.call("POST", `/api/jobs/${first.json.id}/cancel`, { token })
      const replay = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(replay.status, 201)
      assert.strictEqual(replay.json.id, first.json.id)
      assert.strictEqual(yield* jobsWithGoal(body.goal), 1, "a replay never creates a job, even when the first is cancelled")
    }))

  it.effect("the same key with another body is a 422 and changes nothing; the first body still replays", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      const key = unique("reused-key")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      for (const changed of [{ forecast_days: 15 }, { tier: "medium" }, { enrich_web: false }, { goal: body.goal + "!" }]) {
        const reply = yield* leavesNoRows(
          service.call("POST", "/api/jobs", { token, json: { ...body, ...changed }, headers: withKey(key) })
        )
        assertProblem(reply, 422, "idempotency-key-reused")
      }
      const replay = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(replay.status, 201)
      assert.strictEqual(replay.json.id, first.json.id)
    }))

  it.effect("concurrent requests with one key and one body: one job, every answer is it or a 409 in-flight", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      const key = unique("race-key")
      const body = newJob()
      const replies = yield* Effect.all(
        Array.from({ length: 12 }, () => service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })),
        { concurrency: "unbounded" }
      )
      const created = replies.filter((reply) => reply.status === 201)
      assert.isAtLeast(created.length, 1)
      const ids = new Set(created.map((reply) => reply.json.id))
      assert.strictEqual(ids.size, 1, "every 201 names the same job")
      for (const reply of replies) {
        if (reply.status !== 201) assertProblem(reply, 409, "idempotency-key-in-flight")
      }
      assert.strictEqual(yield* jobsWithGoal(body.goal), 1)
    }))

  it.effect("a key claimed by a request still in progress is a 409; an abandoned claim (over 60 s) is taken over", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const token = yield* service.tokenFor("idem-inflight")
      const userId = (yield* sql<{ id: number }>`SELECT id FROM users WHERE name = 'idem-inflight'`.pipe(Effect.orDie))[0]!.id
      const key = unique("inflight-key")
      const body = newJob()
      // What a concurrent request writes when it claims the key, before it answers.
      const fingerprint = requestFingerprint({ ...body, tier: "small", enrich_web: true })
      yield* sql`INSERT INTO idempotency_keys (user_id, key, request_sha256) VALUES (${userId}, ${key}, ${fingerprint})`
        .pipe(Effect.orDie)
      const inFlight = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) }))
      assertProblem(inFlight, 409, "idempotency-key-in-flight")
      assert.strictEqual(yield* jobsWithGoal(body.goal), 0)

      yield* sql`UPDATE idempotency_keys SET created_at = now() - interval '61 seconds'
        WHERE user_id = ${userId} AND key = ${key}`.pipe(Effect.orDie)
      const takenOver = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(takenOver.status, 201, takenOver.text)
      const replay = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(replay.json.id, takenOver.json.id)
    }))

  it.effect("keys are per user: the same key and body from two users makes two jobs", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const alice = yield* service.tokenFor("idem-alice")
      const bob = yield* service.tokenFor("idem-bob")
      const key = unique("shared-key")
      const body = newJob()
      const a = yield* service.call("POST", "/api/jobs", { token: alice, json: body, headers: withKey(key) })
      const b = yield* service.call("POST", "/api/jobs", { token: bob, json: body, headers: withKey(key) })
      assert.strictEqual(a.status, 201)
      assert.strictEqual(b.status, 201, b.text)
      assert.notStrictEqual(a.json.id, b.json.id)
      assert.notStrictEqual(a.json.user_id, b.json.user_id)
      // And another body under the same key is only a conflict for the user who used it.
      const bobOther = yield* service.call("POST", "/api/jobs", {
        token: bob,
        json: { ...body, forecast_days: 99 },
        headers: withKey(key)
      })
      assertProblem(bobOther, 422, "idempotency-key-reused")
    }))

  it.effect("a 409 duplicate does not burn the key: after fixing it, the same key creates the job", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      const key = unique("after-duplicate-key")
      const body = newJob()
      const existing = yield* service.call("POST", "/api/jobs", { token, json: body })
      const duplicate = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) }))
      assertProblem(duplicate, 409, "duplicate-job")
      yield* service.call("POST", `/api/jobs/${existing.json.id}/cancel`, { token })
      const created = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(created.status, 201, created.text)
      assert.notStrictEqual(created.json.id, existing.json.id)
      const replay = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(replay.json.id, created.json.id)
    }))

  it.effect("a 500 (lifecycle refused) does not burn the key: the retry with the same key creates the job", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor("idem")
      const key = unique("after-500-key")
      const body = newJob()
      yield* Ref.set(control.failStarts, true)
      const failed = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) }))
        .pipe(Effect.ensuring(Ref.set(control.failStarts, false)))
      assertProblem(failed, 500, "lifecycle-unavailable")
      const created = yield* service.call("POST", "/api/jobs", { token, json: body, headers: withKey(key) })
      assert.strictEqual(created.status, 201, created.text)
      assert.include(yield* control.started, created.json.id)
    }))

  it.effect("a key older than 24 hours is forgotten: it may be used again, even with another body", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const token = yield* service.tokenFor("idem")
      const key = unique("expired-key")
      const first = yield* service.call("POST", "/api/jobs", { token, json: newJob(), headers: withKey(key) })
      yield* sql`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = ${key}`.pipe(Effect.orDie)
      const second = yield* service.call("POST", "/api/jobs", { token, json: newJob(), headers: withKey(key) })
      assert.strictEqual(second.status, 201, second.text)
      assert.notStrictEqual(second.json.id, first.json.id)
    }))

  it.effect("an empty or over-long (256 characters) key is a 400 naming the header; 255 characters is fine", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      for (const key of ["", "k".repeat(256)]) {
        const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: newJob(), headers: withKey(key) }))
        assertBadRequest(reply, ["headers", "idempotency-key"])
      }
      const ok = yield* service.call("POST", "/api/jobs", { token, json: newJob(), headers: withKey("k".repeat(255)) })
      assert.strictEqual(ok.status, 201, ok.text)
    }))

  it.effect("a request that fails validation claims no key", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("idem")
      const key = unique("invalid-body-key")
      const invalid = yield* leavesNoRows(
        service.call("POST", "/api/jobs", { token, json: newJob({ forecast_days: 0 }), headers: withKey(key) })
      )
      assertBadRequest(invalid, ["payload", "forecast_days"])
      const valid = yield* service.call("POST", "/api/jobs", { token, json: newJob(), headers: withKey(key) })
      assert.strictEqual(valid.status, 201, valid.text)
    }))
})
