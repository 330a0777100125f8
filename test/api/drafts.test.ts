import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Ref, Result } from "effect"
import { SqlClient } from "effect/sql"
import { JobId } from "../../src/domain/ids.ts"
import type { DraftCreate, JobCreate } from "../../src/domain/job.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import {
  assertBadRequest,
  createJob,
  failsWith,
  firstIssue,
  jobEvents,
  leavesNoRows,
  newJob,
  newUser,
  rowCounts,
  storedJob,
  unique
} from "../support/api-fixtures.ts"

const maxSeedChars = 100

/** A complete draft payload (fresh goal each time); also a valid job payload. */
const completeDraft = (): JobCreate => ({
  seed_text: "Tram vote.",
  goal: unique("Tram approved?"),
  tier: "small",
  enrich_web: true,
  forecast_days: 7
})

/** A fresh user, their client and a draft of theirs made from `fields` (enrich_web true unless given). */
const userWithDraft = (fields: Partial<DraftCreate> = {}) =>
  Effect.gen(function*() {
    const { token, api } = yield* newUser("drafter")
    // The client accepts only the declared 201 for a draft.
    const draft = yield* api.drafts.create({ payload: { enrich_web: true, ...fields } })
    return { token, api, draft }
  })

const statusOf = (id: number) => Effect.map(storedJob(id), (job) => job?.status)

/** Polls (without sleeping) until `count` sessions of this database are waiting for a lock. */
const waitForLockWaiters = (count: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    for (let attempt = 0; attempt < 100_000; attempt++) {
      // Inside a transaction the activity view is a snapshot: clear it so each look is fresh.
      yield* sql`SELECT pg_stat_clear_snapshot()`
      const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`
      if (rows[0]!.n >= count) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error(`never saw ${count} sessions waiting for a lock`))
  })

layer(TestServiceLive({ maxSeedChars }), { excludeTestServices: true })("drafts", (it) => {
  // ---- POST /api/jobs/draft

  // Raw HTTP: the body is `{}`, to see enrich_web's default, which the typed client (whose payload requires it)
  // cannot send.
  it.effect("an empty draft is a 201 DRAFT with nothing filled in and nothing started", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const token = yield* service.tokenFor(unique("drafter"))
      const reply = yield* service.call("POST", "/api/jobs/draft", { token, json: {} })
      assert.strictEqual(reply.status, 201, reply.text)
      const draft = reply.json
      assert.strictEqual(draft["status"], "DRAFT")
      assert.strictEqual(draft["seed_text"], "")
      assert.strictEqual(draft["goal"], null)
      assert.strictEqual(draft["tier"], null)
      assert.strictEqual(draft["forecast_days"], null)
      assert.strictEqual(draft["enrich_web"], true)
      assert.notInclude(yield* control.started, draft.id)
      assert.deepStrictEqual((yield* jobEvents(draft.id)).map((event) => event.data), [{ to: "DRAFT" }])
    }))

  it.effect("a draft keeps every field it is given", () =>
    Effect.gen(function*() {
      const body: JobCreate = { ...completeDraft(), tier: "large", enrich_web: false }
      const { draft } = yield* userWithDraft(body)
      assert.strictEqual(draft.seed_text, body.seed_text)
      assert.strictEqual(draft.goal, body.goal)
      assert.strictEqual(draft.tier, "large")
      assert.strictEqual(draft.forecast_days, 7)
      assert.strictEqual(draft.enrich_web, false)
    }))

  // Raw HTTP: the client checks the payload against the same schema and would not send these.
  it.effect("a draft with a wrong field is a 400 naming it, and nothing is saved", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("drafter"))
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ tier: "huge" }, "tier"],
        [{ forecast_days: 0 }, "forecast_days"],
        [{ forecast_days: 366 }, "forecast_days"],
        [{ seed_text: "a\u0000b" }, "seed_text"],
        [{ goal: 5 }, "goal"]
      ]
      for (const [json, field] of cases) {
        const reply = yield* leavesNoRows(service.call("POST", "/api/jobs/draft", { token, json }))
        assertBadRequest(reply, ["payload", field])
      }
    }))

  // Not stated by the spec for POST, but PATCH refuses such a seed, so a draft could otherwise bypass the rule.
  it.effect("a draft with a seed over MAX_SEED_CHARS is a 400 naming seed_text, like PATCH", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("drafter")
      const before = yield* rowCounts
      const problem = yield* failsWith(
        api.drafts.create({ payload: { seed_text: "x".repeat(maxSeedChars + 1), enrich_web: true } }),
        "BadRequestProblem"
      )
      firstIssue(problem, ["payload", "seed_text"])
      assert.deepStrictEqual(yield* rowCounts, before)
    }))

  // ---- PATCH /api/jobs/draft/:id

  it.effect("PATCH changes only the fields present", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft(completeDraft())
      const params = { id: draft.id }
      const patched = yield* api.drafts.update({ params, payload: { tier: "medium" } })
      assert.strictEqual(patched.tier, "medium")
      assert.strictEqual(patched.goal, draft.goal)
      assert.strictEqual(patched.seed_text, draft.seed_text)
      assert.strictEqual(patched.forecast_days, 7)
      assert.strictEqual(patched.status, "DRAFT")
      const more = yield* api.drafts.update({ params, payload: { seed_text: "New seed.", enrich_web: false, forecast_days: 365 } })
      assert.strictEqual(more.seed_text, "New seed.")
      assert.strictEqual(more.enrich_web, false)
      assert.strictEqual(more.forecast_days, 365)
      assert.strictEqual(more.tier, "medium")
      const fetched = yield* api.jobs.get({ params })
      assert.deepStrictEqual(fetched, more)
      const empty = yield* api.drafts.update({ params, payload: {} })
      assert.strictEqual(empty.seed_text, "New seed.")
    }))

  it.effect("PATCH with null clears goal, tier and forecast_days", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft(completeDraft())
      const cleared = yield* api.drafts.update({
        params: { id: draft.id },
        payload: { goal: null, tier: null, forecast_days: null }
      })
      assert.strictEqual(cleared.goal, null)
      assert.strictEqual(cleared.tier, null)
      assert.strictEqual(cleared.forecast_days, null)
      assert.strictEqual(cleared.seed_text, draft.seed_text)
    }))

  it.effect("PATCH of a missing draft or another user's is a 404, and the other user's draft is unchanged", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft(completeDraft())
      const stranger = yield* newUser("stranger")
      yield* leavesNoRows(
        failsWith(stranger.api.drafts.update({ params: { id: draft.id }, payload: { goal: "hijacked" } }), "JobNotFound")
      )
      yield* failsWith(
        api.drafts.update({ params: { id: JobId.make(draft.id + 1_000_000) }, payload: { goal: "x" } }),
        "JobNotFound"
      )
      assert.strictEqual((yield* api.jobs.get({ params: { id: draft.id } })).goal, draft.goal)
    }))

  it.effect("PATCH of a job that is not a draft is a 409 naming its status", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("drafter")
      const job = yield* createJob(api)
      const refused = yield* leavesNoRows(
        failsWith(api.drafts.update({ params: { id: job.id }, payload: { goal: "x" } }), "StatusConflict")
      )
      assert.strictEqual(refused.job_status, "PENDING")
      assert.strictEqual((yield* api.jobs.get({ params: { id: job.id } })).goal, job.goal)
    }))

  it.effect("PATCH with a seed over MAX_SEED_CHARS is a 400 naming seed_text and the limit; at the limit is fine", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft({ seed_text: "short" })
      const params = { id: draft.id }
      const over = yield* leavesNoRows(
        failsWith(api.drafts.update({ params, payload: { seed_text: "字".repeat(maxSeedChars + 1) } }), "BadRequestProblem")
      )
      assert.include(firstIssue(over, ["payload", "seed_text"]).message, String(maxSeedChars))
      assert.strictEqual((yield* api.jobs.get({ params })).seed_text, "short")
      const atLimit = "😀".repeat(maxSeedChars)
      const ok = yield* api.drafts.update({ params, payload: { seed_text: atLimit } })
      assert.strictEqual(ok.seed_text, atLimit)
    }))

  // Raw HTTP: the client checks the payload against the same schema and would not send these.
  it.effect("PATCH with a wrong field is a 400 naming it", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft({})
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ tier: "huge" }, "tier"],
        [{ seed_text: null }, "seed_text"],
        [{ forecast_days: 0 }, "forecast_days"],
        [{ enrich_web: null }, "enrich_web"]
      ]
      for (const [json, field] of cases) {
        assertBadRequest(yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token, json }), ["payload", field])
      }
    }))

  // ---- POST /api/jobs/draft/:id/launch

  it.effect("launching a complete draft answers 200 PENDING, starts its lifecycle and records DRAFT -> PENDING", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, draft } = yield* userWithDraft(completeDraft())
      // The client accepts only the declared 200 for a launch.
      const launched = yield* api.drafts.launch({ params: { id: draft.id } })
      assert.strictEqual(launched.id, draft.id)
      assert.strictEqual(launched.status, "PENDING")
      assert.strictEqual(launched.goal, draft.goal)
      assert.include(yield* control.started, draft.id)
      const events = yield* jobEvents(draft.id)
      assert.deepStrictEqual(events.map((event) => [event.seq, event.data]), [
        [1, { to: "DRAFT" }],
        [2, { from: "DRAFT", to: "PENDING" }]
      ])
      const listed = yield* api.jobs.list({ query: {} })
      assert.deepStrictEqual(listed.jobs.map((job) => [job.id, job.status]), [[draft.id, "PENDING"]])
    }))

  it.effect("launching an empty draft is a 422 listing every missing field in order", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft({})
      const problem = yield* leavesNoRows(failsWith(api.drafts.launch({ params: { id: draft.id } }), "DraftIncomplete"))
      assert.deepStrictEqual(problem.missing, ["seed_text", "goal", "tier", "forecast_days"])
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("a partly filled draft lists only what is missing; a blank goal counts as missing", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft({ seed_text: "Tram vote.", goal: "   ", forecast_days: 3 })
      const params = { id: draft.id }
      const problem = yield* failsWith(api.drafts.launch({ params }), "DraftIncomplete")
      assert.deepStrictEqual(problem.missing, ["goal", "tier"])
      yield* api.drafts.update({ params, payload: { goal: unique("g"), tier: "small" } })
      yield* api.drafts.launch({ params })
    }))

  it.effect("launching twice is a 409, and PATCH after the launch is a 409 too", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, draft } = yield* userWithDraft(completeDraft())
      const params = { id: draft.id }
      yield* api.drafts.launch({ params })
      const startsAfterFirst = yield* control.started
      const again = yield* leavesNoRows(failsWith(api.drafts.launch({ params }), "StatusConflict"))
      assert.strictEqual(again.job_status, "PENDING")
      assert.deepStrictEqual(yield* control.started, startsAfterFirst)
      yield* failsWith(api.drafts.update({ params, payload: { goal: "late" } }), "StatusConflict")
    }))

  it.effect("concurrent launches of one draft: exactly one 200 and one start, the rest 409", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, draft } = yield* userWithDraft(completeDraft())
      const results = yield* Effect.all(
        Array.from({ length: 6 }, () => Effect.result(api.drafts.launch({ params: { id: draft.id } }))),
        { concurrency: "unbounded" }
      )
      const outcomes = results.map((result) => Result.isSuccess(result) ? "launched" : result.failure._tag)
      assert.strictEqual(outcomes.filter((outcome) => outcome === "launched").length, 1, outcomes.join())
      // Every other launch is a 409: the problems the launch declares at 409.
      for (const outcome of outcomes) {
        if (outcome !== "launched") assert.include(["StatusConflict", "DuplicateJob"], outcome, outcomes.join())
      }
      assert.strictEqual((yield* control.started).filter((id) => id === draft.id).length, 1)
      const events = yield* jobEvents(draft.id)
      assert.strictEqual(events.filter((event) => event.data["to"] === "PENDING").length, 1)
    }))

  it.effect("a launch that loses the race to another launch of the same draft is told so, not that the draft duplicates itself", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api, draft } = yield* userWithDraft(completeDraft())
      const launch = Effect.result(api.drafts.launch({ params: { id: draft.id } }))
      // Hold the draft's row so that both launches get past their checks of the DRAFT status and then queue up
      // (one on the row, one on the admission lock); releasing it lets them run one after the other.
      const fibers = yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT id FROM simulation_jobs WHERE id = ${draft.id} FOR UPDATE`
        const forked = [yield* Effect.forkChild(launch), yield* Effect.forkChild(launch)]
        yield* waitForLockWaiters(2)
        return forked
      })).pipe(Effect.orDie)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      const [won, lost] = Result.isSuccess(results[0]!) ? [results[0]!, results[1]!] : [results[1]!, results[0]!]
      assert.isTrue(Result.isSuccess(won), String(won))
      // What a second launch answers when it comes later: the draft is no longer a draft.
      if (Result.isSuccess(lost)) return assert.fail("both launches succeeded")
      const problem = lost.failure
      if (problem._tag === "DuplicateJob") {
        assert.notStrictEqual(problem.existing_job_id, draft.id, `the draft is named as its own duplicate: ${String(problem)}`)
      }
      assert.strictEqual(problem._tag, "StatusConflict", String(problem))
    }))

  it.effect("launching a duplicate of a live job is a 409 naming it, and the draft stays a DRAFT", () =>
    Effect.gen(function*() {
      const body = completeDraft()
      const { api, draft } = yield* userWithDraft(body)
      const live = yield* createJob(api, { ...body, forecast_days: 30 })
      const problem = yield* leavesNoRows(failsWith(api.drafts.launch({ params: { id: draft.id } }), "DuplicateJob"))
      assert.strictEqual(problem.existing_job_id, live.id)
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("launching a draft whose seed is over MAX_SEED_CHARS is a 400 naming seed_text, and it stays a DRAFT", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api, draft } = yield* userWithDraft(completeDraft())
      yield* sql`UPDATE simulation_jobs SET seed_text = repeat('x', ${maxSeedChars + 1}) WHERE id = ${draft.id}`
        .pipe(Effect.orDie)
      const problem = yield* leavesNoRows(failsWith(api.drafts.launch({ params: { id: draft.id } }), "BadRequestProblem"))
      firstIssue(problem, ["payload", "seed_text"])
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("a failed lifecycle start on launch is a 500 and leaves it a DRAFT; launching later works", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, draft } = yield* userWithDraft(completeDraft())
      const params = { id: draft.id }
      yield* Ref.set(control.failStarts, true)
      yield* leavesNoRows(failsWith(api.drafts.launch({ params }), "LifecycleUnavailable")).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      const fetched = yield* api.jobs.get({ params })
      assert.strictEqual(fetched.status, "DRAFT")
      assert.notInclude(yield* control.started, draft.id)
      yield* api.drafts.launch({ params })
      assert.include(yield* control.started, draft.id)
    }))

  it.effect("launching a draft for a tier with no routing is a 500 naming the tier, and it stays a DRAFT", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api, draft } = yield* userWithDraft({ ...completeDraft(), tier: "medium" })
      const restore = sql`INSERT INTO model_routing (sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args)
        VALUES ('medium', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 100, 20, NULL) ON CONFLICT (sim_tier) DO NOTHING`.pipe(Effect.orDie)
      const problem = yield* Effect.gen(function*() {
        yield* sql`DELETE FROM model_routing WHERE sim_tier = 'medium'`.pipe(Effect.orDie)
        return yield* leavesNoRows(failsWith(api.drafts.launch({ params: { id: draft.id } }), "RoutingMissing"))
      }).pipe(Effect.ensuring(restore))
      assert.strictEqual(problem.tier, "medium")
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("launching a missing draft or another user's is a 404, and a regular job is a 409", () =>
    Effect.gen(function*() {
      const { api, draft } = yield* userWithDraft(completeDraft())
      const stranger = yield* newUser("stranger")
      yield* leavesNoRows(failsWith(stranger.api.drafts.launch({ params: { id: draft.id } }), "JobNotFound"))
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
      yield* failsWith(api.drafts.launch({ params: { id: JobId.make(draft.id + 1_000_000) } }), "JobNotFound")
      const job = yield* createJob(api, newJob())
      const refused = yield* failsWith(api.drafts.launch({ params: { id: job.id } }), "StatusConflict")
      assert.strictEqual(refused.job_status, "PENDING")
    }))
})
