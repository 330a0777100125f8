import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, testService } from "../support/service.ts"
import { assertProblem, leavesNoRows, newJob, storedJob, unique } from "./fixtures.ts"

/** A job row written behind the API's back (a demo instance cannot create any), owned by `user`. */
const insertJob = (user: string, status: string, fields: { goal: string | null; tier: string | null; forecast_days: number | null }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ id: number }>`INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, forecast_days, status)
      SELECT id, 'Tram vote.', ${fields.goal}, ${fields.tier}, ${fields.forecast_days}, ${status} FROM users WHERE name = ${user}
      RETURNING id`
    return rows[0]!.id
  }).pipe(Effect.orDie)

layer(testService({ demoMode: true }), { excludeTestServices: true })("DEMO_MODE", (it) => {
  it.effect("/api/config says demo_mode", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", "/api/config")
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.demo_mode, true)
    }))

  it.effect("creating a job is a 403 demo-mode problem and writes nothing, with or without an Idempotency-Key", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor(unique("visitor"))
      const plain = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: newJob() }))
      assert.include(assertProblem(plain, 403, "demo-mode").title, "demo")
      const keyed = yield* leavesNoRows(
        service.call("POST", "/api/jobs", { token, json: newJob(), headers: { "idempotency-key": "demo-key" } })
      )
      assertProblem(keyed, 403, "demo-mode")
      assert.deepStrictEqual(yield* control.started, [])
    }))

  it.effect("reading still works", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("visitor"))
      const reply = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(reply.status, 200)
      assert.strictEqual((yield* service.call("GET", "/api/routing", { token })).status, 200)
    }))

  it.effect("saving or editing a draft is a 403 too: a demo writes nothing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const user = unique("visitor")
      const token = yield* service.tokenFor(user)
      const created = yield* leavesNoRows(service.call("POST", "/api/jobs/draft", { token, json: { goal: "g" } }))
      assertProblem(created, 403, "demo-mode")
      const id = yield* insertJob(user, "DRAFT", { goal: "g", tier: null, forecast_days: null })
      const patched = yield* service.call("PATCH", `/api/jobs/draft/${id}`, { token, json: { tier: "small" } })
      assertProblem(patched, 403, "demo-mode")
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${id}`, { token })).json.tier, null)
    }))

  it.effect("launching a complete draft is a 403 and it stays a DRAFT", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const user = unique("visitor")
      const token = yield* service.tokenFor(user)
      const id = yield* insertJob(user, "DRAFT", { goal: "g", tier: "small", forecast_days: 7 })
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${id}/launch`, { token }))
      assertProblem(reply, 403, "demo-mode")
      assert.strictEqual((yield* storedJob(id))!.status, "DRAFT")
    }))

  it.effect("retrying a cancelled job is a 403 and creates nothing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const user = unique("visitor")
      const token = yield* service.tokenFor(user)
      const id = yield* insertJob(user, "CANCELLED", { goal: "g", tier: "small", forecast_days: 7 })
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${id}/retry`, { token }))
      assertProblem(reply, 403, "demo-mode")
    }))
})
