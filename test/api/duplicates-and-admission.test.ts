import { assert, layer } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { createJob, failsWith, leavesNoRows, newJob, setStatus } from "../support/api-fixtures.ts"

/** The typed client of a (new or existing) user. */
const clientOf = (user: string) =>
  Effect.gen(function*() {
    const service = yield* TestService
    return yield* service.client(yield* service.tokenFor(user))
  })

layer(TestServiceLive(), { excludeTestServices: true })("POST /api/jobs duplicates, routing and lifecycle", (it) => {
  it.effect("the same user, seed, goal and tier within the window is a 409 naming the existing job", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("dup-owner")
      const body = newJob()
      const first = yield* createJob(api, body)
      const problem = yield* leavesNoRows(failsWith(createJob(api, body), "DuplicateJob"))
      assert.strictEqual(problem.existing_job_id, first.id)
      assert.include(problem.detail, String(first.id))
    }))

  it.effect("forecast_days and enrich_web do not make a job different: still a duplicate", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("dup-owner")
      const body = newJob({ forecast_days: 10, enrich_web: true })
      const first = yield* createJob(api, body)
      const second = yield* leavesNoRows(
        failsWith(createJob(api, { ...body, forecast_days: 20, enrich_web: false }), "DuplicateJob")
      )
      assert.strictEqual(second.existing_job_id, first.id)
    }))

  it.effect("another user, another tier or another goal is not a duplicate", () =>
    Effect.gen(function*() {
      const owner = yield* clientOf("dup-owner")
      const other = yield* clientOf("dup-other")
      const body = newJob()
      const first = yield* createJob(owner, body)
      const byOther = yield* createJob(other, body)
      const otherTier = yield* createJob(owner, { ...body, tier: "medium" })
      const otherGoal = yield* createJob(owner, { ...body, goal: body.goal + "?" })
      const ids = new Set([first.id, byOther.id, otherTier.id, otherGoal.id])
      assert.strictEqual(ids.size, 4)
    }))

  it.effect("a job that is still live at any stage blocks a duplicate", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("dup-owner")
      for (const status of ["PROVISIONING", "RUNNING", "REPORTING"]) {
        const body = newJob()
        const first = yield* createJob(api, body)
        yield* setStatus(first.id, status)
        const second = yield* leavesNoRows(failsWith(createJob(api, body), "DuplicateJob"))
        assert.strictEqual(second.existing_job_id, first.id, status)
      }
    }))

  it.effect("a duplicate of a cancelled job is allowed", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("dup-owner")
      const body = newJob()
      const first = yield* createJob(api, body)
      const cancelled = yield* api.jobs.cancel({ params: { id: first.id } })
      assert.strictEqual(cancelled.status, "CANCELLED")
      const again = yield* createJob(api, body)
      assert.notStrictEqual(again.id, first.id)
    }))

  it.effect("a duplicate of a finished (failed or completed) job is allowed", () =>
    Effect.gen(function*() {
      const api = yield* clientOf("dup-owner")
      for (const status of ["FAILED", "COMPLETED"]) {
        const body = newJob()
        const first = yield* createJob(api, body)
        yield* setStatus(first.id, status)
        yield* createJob(api, body).pipe(Effect.mapError((error) => new Error(`${status}: ${String(error)}`)))
      }
    }))

  it.effect("an identical job created before the window is not a duplicate", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const api = yield* clientOf("dup-owner")
      const body = newJob()
      const first = yield* createJob(api, body)
      // The default window is 60 s: move the first job just past it.
      yield* sql`UPDATE simulation_jobs SET created_at = now() - interval '61 seconds' WHERE id = ${first.id}`.pipe(
        Effect.orDie
      )
      const again = yield* createJob(api, body)
      assert.notStrictEqual(again.id, first.id)
    }))

  it.effect("a tier with no routing row is a 500 problem naming the tier, and leaves no row", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const sql = yield* SqlClient.SqlClient
      const api = yield* clientOf("dup-owner")
      const startsBefore = yield* control.started
      const restore = sql`INSERT INTO model_routing (sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args)
        VALUES ('large', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 200, 35, NULL) ON CONFLICT (sim_tier) DO NOTHING`.pipe(Effect.orDie)
      const problem = yield* Effect.gen(function*() {
        yield* sql`DELETE FROM model_routing WHERE sim_tier = 'large'`.pipe(Effect.orDie)
        return yield* leavesNoRows(failsWith(createJob(api, newJob({ tier: "large" })), "RoutingMissing"))
      }).pipe(Effect.ensuring(restore))
      assert.strictEqual(problem.tier, "large")
      assert.include(problem.detail, "large")
      assert.deepStrictEqual(yield* control.started, startsBefore)
    }))

  it.effect("a failed lifecycle start leaves no row and no start, and the same request then succeeds", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const api = yield* clientOf("dup-owner")
      const body = newJob()
      const startsBefore = yield* control.started
      yield* Ref.set(control.failStarts, true)
      yield* leavesNoRows(failsWith(createJob(api, body), "LifecycleUnavailable")).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      assert.deepStrictEqual(yield* control.started, startsBefore)
      // The failed attempt must not count as a duplicate.
      const again = yield* createJob(api, body)
      assert.include(yield* control.started, again.id)
    }))
})
