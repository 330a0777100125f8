import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { JobId } from "../../src/domain/ids.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { createJob, failsWith, leavesNoRows, newJob, storedJob, unique } from "../support/api-fixtures.ts"

/** A job row written behind the API's back (a demo instance cannot create any), owned by `user`. */
const insertJob = (user: string, status: string, fields: { goal: string | null; tier: string | null; forecast_days: number | null }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ id: number }>`INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, forecast_days, status)
      SELECT id, 'Tram vote.', ${fields.goal}, ${fields.tier}, ${fields.forecast_days}, ${status} FROM users WHERE name = ${user}
      RETURNING id`
    return JobId.make(rows[0]!.id)
  }).pipe(Effect.orDie)

/** A new user (by name, for `insertJob`) and a typed client acting as them. */
const visitor = Effect.gen(function*() {
  const service = yield* TestService
  const user = unique("visitor")
  return { user, api: yield* service.client(yield* service.tokenFor(user)) }
})

layer(TestServiceLive({ demoMode: true }), { excludeTestServices: true })("DEMO_MODE", (it) => {
  it.effect("/api/config says demo_mode", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const config = yield* (yield* service.client()).system.config()
      assert.strictEqual(config.demo_mode, true)
    }))

  it.effect("creating a job is a 403 demo-mode problem and writes nothing, with or without an Idempotency-Key", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api } = yield* visitor
      const plain = yield* leavesNoRows(failsWith(createJob(api, newJob()), "DemoMode"))
      assert.include(plain.title, "demo")
      yield* leavesNoRows(failsWith(createJob(api, newJob(), "demo-key"), "DemoMode"))
      assert.deepStrictEqual(yield* control.started, [])
    }))

  it.effect("reading still works", () =>
    Effect.gen(function*() {
      const { api } = yield* visitor
      yield* api.jobs.list({ query: {} })
      yield* api.routing.list()
    }))

  it.effect("saving or editing a draft is a 403 too: a demo writes nothing", () =>
    Effect.gen(function*() {
      const { user, api } = yield* visitor
      yield* leavesNoRows(failsWith(api.drafts.create({ payload: { goal: "g", enrich_web: true } }), "DemoMode"))
      const id = yield* insertJob(user, "DRAFT", { goal: "g", tier: null, forecast_days: null })
      yield* failsWith(api.drafts.update({ params: { id }, payload: { tier: "small" } }), "DemoMode")
      assert.strictEqual((yield* api.jobs.get({ params: { id } })).tier, null)
    }))

  it.effect("launching a complete draft is a 403 and it stays a DRAFT", () =>
    Effect.gen(function*() {
      const { user, api } = yield* visitor
      const id = yield* insertJob(user, "DRAFT", { goal: "g", tier: "small", forecast_days: 7 })
      yield* leavesNoRows(failsWith(api.drafts.launch({ params: { id } }), "DemoMode"))
      assert.strictEqual((yield* storedJob(id))!.status, "DRAFT")
    }))

  it.effect("retrying a cancelled job is a 403 and creates nothing", () =>
    Effect.gen(function*() {
      const { user, api } = yield* visitor
      const id = yield* insertJob(user, "CANCELLED", { goal: "g", tier: "small", forecast_days: 7 })
      yield* leavesNoRows(failsWith(api.jobs.retry({ params: { id } }), "DemoMode"))
    }))
})
