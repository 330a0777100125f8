import { assert, layer } from "@effect/vitest"
import { Effect, Ref, Result } from "effect"
import { SqlClient } from "effect/sql"
import type { JobCreate } from "../../src/domain/job.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService } from "../support/service.ts"
import { TestServiceLive } from "../support/service.ts"
import { createJob, failsWith } from "../support/api-fixtures.ts"

const newJob = (goal: string): JobCreate => ({
  seed_text: "The city council meets on Tuesday to vote on the new tram line.",
  goal,
  tier: "small",
  enrich_web: true,
  forecast_days: 14
})

const countJobs = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs`
  return rows[0]!.n
}).pipe(Effect.orDie)

layer(TestServiceLive(), { excludeTestServices: true })("POST /api/jobs", (it) => {
  // Raw HTTP: the body leaves out enrich_web to see its default, which the typed client (whose payload requires it)
  // cannot send.
  it.effect("creates a PENDING job, starts its lifecycle and records its first event", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor("creator")
      const { enrich_web: _, ...json } = newJob("first")
      const reply = yield* service.call("POST", "/api/jobs", { token, json })
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
      const api = yield* service.client(yield* service.tokenFor("creator"))
      const before = yield* countJobs
      yield* Ref.set(control.failStarts, true)
      const problem = yield* failsWith(createJob(api, newJob("refused")), "LifecycleUnavailable").pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      assert.strictEqual(problem.detail, "Failed to queue simulation job")
      assert.strictEqual(yield* countJobs, before)
    }))

  it.effect("N concurrent identical requests give exactly one 201 and 409s naming it", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const api = yield* service.client(yield* service.tokenFor("racer"))
      const results = yield* Effect.all(
        Array.from({ length: 8 }, () => Effect.result(createJob(api, newJob("race")))),
        { concurrency: "unbounded" }
      )
      const created = results.filter(Result.isSuccess).map((result) => result.success)
      const refused = results.filter(Result.isFailure).map((result) => result.failure)
      assert.strictEqual(created.length, 1)
      assert.strictEqual(refused.length, 7)
      for (const error of refused) {
        assert.strictEqual(error._tag, "DuplicateJob", String(error))
        if (error._tag === "DuplicateJob") assert.strictEqual(error.existing_job_id, created[0]!.id)
      }
    }))
})
