import { assert, layer } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, testService } from "../support/service.ts"
import { assertProblem, leavesNoRows, newJob, setStatus } from "./fixtures.ts"

layer(testService(), { excludeTestServices: true })("POST /api/jobs duplicates, routing and lifecycle", (it) => {
  it.effect("the same user, seed, goal and tier within the window is a 409 naming the existing job", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("dup-owner")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body })
      assert.strictEqual(first.status, 201)
      const second = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: body }))
      const problem = assertProblem(second, 409, "duplicate-job")
      assert.strictEqual(problem.existing_job_id, first.json.id)
      assert.include(problem.detail, String(first.json.id))
    }))

  it.effect("forecast_days and enrich_web do not make a job different: still a duplicate", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("dup-owner")
      const body = newJob({ forecast_days: 10, enrich_web: true })
      const first = yield* service.call("POST", "/api/jobs", { token, json: body })
      const second = yield* leavesNoRows(
        service.call("POST", "/api/jobs", { token, json: { ...body, forecast_days: 20, enrich_web: false } })
      )
      assert.strictEqual(assertProblem(second, 409, "duplicate-job").existing_job_id, first.json.id)
    }))

  it.effect("another user, another tier or another goal is not a duplicate", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const owner = yield* service.tokenFor("dup-owner")
      const other = yield* service.tokenFor("dup-other")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token: owner, json: body })
      assert.strictEqual(first.status, 201)
      const byOther = yield* service.call("POST", "/api/jobs", { token: other, json: body })
      assert.strictEqual(byOther.status, 201, byOther.text)
      const otherTier = yield* service.call("POST", "/api/jobs", { token: owner, json: { ...body, tier: "medium" } })
      assert.strictEqual(otherTier.status, 201, otherTier.text)
      const otherGoal = yield* service.call("POST", "/api/jobs", { token: owner, json: { ...body, goal: body.goal + "?" } })
      assert.strictEqual(otherGoal.status, 201, otherGoal.text)
      const ids = new Set([first.json.id, byOther.json.id, otherTier.json.id, otherGoal.json.id])
      assert.strictEqual(ids.size, 4)
    }))

  it.effect("a job that is still live at any stage blocks a duplicate", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("dup-owner")
      for (const status of ["PROVISIONING", "RUNNING", "REPORTING"]) {
        const body = newJob()
        const first = yield* service.call("POST", "/api/jobs", { token, json: body })
        yield* setStatus(first.json.id, status)
        const second = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: body }))
        assert.strictEqual(assertProblem(second, 409, "duplicate-job").existing_job_id, first.json.id, status)
      }
    }))

  it.effect("a duplicate of a cancelled job is allowed", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("dup-owner")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body })
      const cancelled = yield* service.call("POST", `/api/jobs/${first.json.id}/cancel`, { token })
      assert.strictEqual(cancelled.json.status, "CANCELLED")
      const again = yield* service.call("POST", "/api/jobs", { token, json: body })
      assert.strictEqual(again.status, 201, again.text)
      assert.notStrictEqual(again.json.id, first.json.id)
    }))

  it.effect("a duplicate of a finished (failed or completed) job is allowed", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("dup-owner")
      for (const status of ["FAILED", "COMPLETED"]) {
        const body = newJob()
        const first = yield* service.call("POST", "/api/jobs", { token, json: body })
        yield* setStatus(first.json.id, status)
        const again = yield* service.call("POST", "/api/jobs", { token, json: body })
        assert.strictEqual(again.status, 201, `${status}: ${again.text}`)
      }
    }))

  it.effect("an identical job created before the window is not a duplicate", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const token = yield* service.tokenFor("dup-owner")
      const body = newJob()
      const first = yield* service.call("POST", "/api/jobs", { token, json: body })
      // The default window is 60 s: move the first job just past it.
      yield* sql`UPDATE simulation_jobs SET created_at = now() - interval '61 seconds' WHERE id = ${first.json.id}`.pipe(
        Effect.orDie
      )
      const again = yield* service.call("POST", "/api/jobs", { token, json: body })
      assert.strictEqual(again.status, 201, again.text)
    }))

  it.effect("a tier with no routing row is a 500 problem naming the tier, and leaves no row", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const sql = yield* SqlClient.SqlClient
      const token = yield* service.tokenFor("dup-owner")
      const startsBefore = yield* control.started
      const restore = sql`INSERT INTO model_routing (sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args)
        VALUES ('large', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 200, 35, NULL) ON CONFLICT (sim_tier) DO NOTHING`.pipe(Effect.orDie)
      const reply = yield* Effect.gen(function*() {
        yield* sql`DELETE FROM model_routing WHERE sim_tier = 'large'`.pipe(Effect.orDie)
        return yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: newJob({ tier: "large" }) }))
      }).pipe(Effect.ensuring(restore))
      const problem = assertProblem(reply, 500, "routing-missing")
      assert.strictEqual(problem.tier, "large")
      assert.include(problem.detail, "large")
      assert.deepStrictEqual(yield* control.started, startsBefore)
    }))

  it.effect("a failed lifecycle start leaves no row and no start, and the same request then succeeds", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor("dup-owner")
      const body = newJob()
      const startsBefore = yield* control.started
      yield* Ref.set(control.failStarts, true)
      const failed = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: body })).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      assertProblem(failed, 500, "lifecycle-unavailable")
      assert.deepStrictEqual(yield* control.started, startsBefore)
      const again = yield* service.call("POST", "/api/jobs", { token, json: body })
      assert.strictEqual(again.status, 201, "the failed attempt must not count as a duplicate")
      assert.include(yield* control.started, again.json.id)
    }))
})
