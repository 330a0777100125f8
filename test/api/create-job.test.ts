import { assert, layer } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService } from "../support/service.ts"
import { testService } from "../support/service.ts"

const newJob = (overrides: Record<string, unknown> = {}) => ({
  seed_text: "The city council meets on Tuesday to vote on the new tram line.",
  goal: "Will the tram line be approved?",
  tier: "small",
  forecast_days: 14,
  ...overrides
})

const countJobs = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs`
  return rows[0]!.n
}).pipe(Effect.orDie)

layer(testService(), { excludeTestServices: true })("POST /api/jobs", (it) => {
  it.effect("creates a PENDING job, starts its lifecycle and records its first event", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor("creator")
      const reply = yield* service.call("POST", "/api/jobs", { token, json: newJob({ goal: "first" }) })
      assert.strictEqual(reply.status, 201)
      assert.strictEqual(reply.json.status, "PENDING")
      assert.strictEqual(reply.json.enrich_web, true)
      assert.strictEqual(reply.json.forecast_days, 14)
      assert.include(yield* control.started, reply.json.id)
      const sql = yield* SqlClient.SqlClient
      const events = yield* sql<{ seq: number; kind: string; data: { to: string } }>`
        SELECT seq, kind, data FROM job_events WHERE job_id = ${reply.json.id} ORDER BY seq`.pipe(Effect.orDie)
      assert.deepStrictEqual(events.map((event) => [event.seq, event.kind, event.data.to]), [[1, "status", "PENDING"]])
    }))

  it.effect("a failed lifecycle start answers 500 and leaves no row", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor("creator")
      const before = yield* countJobs
      yield* Ref.set(control.failStarts, true)
      const reply = yield* service.call("POST", "/api/jobs", { token, json: newJob({ goal: "refused" }) }).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      assert.strictEqual(reply.status, 500)
      assert.strictEqual(reply.headers.get("content-type"), "application/problem+json")
      assert.strictEqual(reply.json.detail, "Failed to queue simulation job")
      assert.strictEqual(yield* countJobs, before)
    }))

  it.effect("N concurrent identical requests give exactly one 201 and 409s naming it", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("racer")
      const replies = yield* Effect.all(
        Array.from({ length: 8 }, () => service.call("POST", "/api/jobs", { token, json: newJob({ goal: "race" }) })),
        { concurrency: "unbounded" }
      )
      const created = replies.filter((reply) => reply.status === 201)
      const duplicates = replies.filter((reply) => reply.status === 409)
      assert.strictEqual(created.length, 1)
      assert.strictEqual(duplicates.length, 7)
      for (const duplicate of duplicates) assert.strictEqual(duplicate.json.existing_job_id, created[0]!.json.id)
    }))
})
