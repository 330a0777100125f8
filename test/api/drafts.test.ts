import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, testService } from "../support/service.ts"
import { assertBadRequest, assertProblem, jobEvents, leavesNoRows, newJob, rowCounts, storedJob, unique } from "./fixtures.ts"

const maxSeedChars = 100

/** A complete draft body (fresh goal each time). */
const completeDraft = () => ({ seed_text: "Tram vote.", goal: unique("Tram approved?"), tier: "small", forecast_days: 7 })

/** A fresh user and a draft of theirs made from `json`. */
const userWithDraft = (json: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const token = yield* service.tokenFor(unique("drafter"))
    const reply = yield* service.call("POST", "/api/jobs/draft", { token, json })
    assert.strictEqual(reply.status, 201, reply.text)
    return { token, draft: reply.json as Record<string, unknown> & { id: number } }
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

layer(testService({ maxSeedChars }), { excludeTestServices: true })("drafts", (it) => {
  // ---- POST /api/jobs/draft

  it.effect("an empty draft is a 201 DRAFT with nothing filled in and nothing started", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { draft } = yield* userWithDraft({})
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
      const body = { ...completeDraft(), tier: "large", enrich_web: false }
      const { draft } = yield* userWithDraft(body)
      assert.strictEqual(draft["seed_text"], body.seed_text)
      assert.strictEqual(draft["goal"], body.goal)
      assert.strictEqual(draft["tier"], "large")
      assert.strictEqual(draft["forecast_days"], 7)
      assert.strictEqual(draft["enrich_web"], false)
    }))

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
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("drafter"))
      const before = yield* rowCounts
      const reply = yield* service.call("POST", "/api/jobs/draft", { token, json: { seed_text: "x".repeat(maxSeedChars + 1) } })
      assertBadRequest(reply, ["payload", "seed_text"])
      assert.deepStrictEqual(yield* rowCounts, before)
    }))

  // ---- PATCH /api/jobs/draft/:id

  it.effect("PATCH changes only the fields present", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft(completeDraft())
      const reply = yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token, json: { tier: "medium" } })
      assert.strictEqual(reply.status, 200, reply.text)
      assert.strictEqual(reply.json.tier, "medium")
      assert.strictEqual(reply.json.goal, draft["goal"])
      assert.strictEqual(reply.json.seed_text, draft["seed_text"])
      assert.strictEqual(reply.json.forecast_days, 7)
      assert.strictEqual(reply.json.status, "DRAFT")
      const more = yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, {
        token,
        json: { seed_text: "New seed.", enrich_web: false, forecast_days: 365 }
      })
      assert.strictEqual(more.json.seed_text, "New seed.")
      assert.strictEqual(more.json.enrich_web, false)
      assert.strictEqual(more.json.forecast_days, 365)
      assert.strictEqual(more.json.tier, "medium")
      const fetched = yield* service.call("GET", `/api/jobs/${draft.id}`, { token })
      assert.deepStrictEqual(fetched.json, more.json)
      const empty = yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token, json: {} })
      assert.strictEqual(empty.status, 200)
      assert.strictEqual(empty.json.seed_text, "New seed.")
    }))

  it.effect("PATCH with null clears goal, tier and forecast_days", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft(completeDraft())
      const reply = yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, {
        token,
        json: { goal: null, tier: null, forecast_days: null }
      })
      assert.strictEqual(reply.status, 200, reply.text)
      assert.strictEqual(reply.json.goal, null)
      assert.strictEqual(reply.json.tier, null)
      assert.strictEqual(reply.json.forecast_days, null)
      assert.strictEqual(reply.json.seed_text, draft["seed_text"])
    }))

  it.effect("PATCH of a missing draft or another user's is a 404, and the other user's draft is unchanged", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft(completeDraft())
      const stranger = yield* service.tokenFor(unique("stranger"))
      const foreign = yield* leavesNoRows(
        service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token: stranger, json: { goal: "hijacked" } })
      )
      assertProblem(foreign, 404, "job-not-found")
      const missing = yield* service.call("PATCH", `/api/jobs/draft/${draft.id + 1_000_000}`, { token, json: { goal: "x" } })
      assertProblem(missing, 404, "job-not-found")
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${draft.id}`, { token })).json.goal, draft["goal"])
    }))

  it.effect("PATCH of a job that is not a draft is a 409 naming its status", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("drafter"))
      const job = yield* service.call("POST", "/api/jobs", { token, json: newJob() })
      const reply = yield* leavesNoRows(service.call("PATCH", `/api/jobs/draft/${job.json.id}`, { token, json: { goal: "x" } }))
      assert.strictEqual(assertProblem(reply, 409, "status-conflict").job_status, "PENDING")
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${job.json.id}`, { token })).json.goal, job.json.goal)
    }))

  it.effect("PATCH with a seed over MAX_SEED_CHARS is a 400 naming seed_text and the limit; at the limit is fine", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft({ seed_text: "short" })
      const over = yield* leavesNoRows(service.call("PATCH", `/api/jobs/draft/${draft.id}`, {
        token,
        json: { seed_text: "字".repeat(maxSeedChars + 1) }
      }))
      assert.include(assertBadRequest(over, ["payload", "seed_text"]).message, String(maxSeedChars))
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${draft.id}`, { token })).json.seed_text, "short")
      const atLimit = "😀".repeat(maxSeedChars)
      const ok = yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token, json: { seed_text: atLimit } })
      assert.strictEqual(ok.status, 200, ok.text)
      assert.strictEqual(ok.json.seed_text, atLimit)
    }))

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
      const service = yield* TestService
      const control = yield* LifecycleControl
      const { token, draft } = yield* userWithDraft(completeDraft())
      const reply = yield* service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })
      assert.strictEqual(reply.status, 200, reply.text)
      assert.strictEqual(reply.json.id, draft.id)
      assert.strictEqual(reply.json.status, "PENDING")
      assert.strictEqual(reply.json.goal, draft["goal"])
      assert.include(yield* control.started, draft.id)
      const events = yield* jobEvents(draft.id)
      assert.deepStrictEqual(events.map((event) => [event.seq, event.data]), [
        [1, { to: "DRAFT" }],
        [2, { from: "DRAFT", to: "PENDING" }]
      ])
      const listed = yield* service.call("GET", "/api/jobs", { token })
      assert.deepStrictEqual(listed.json.jobs.map((job: { id: number; status: string }) => [job.id, job.status]), [
        [draft.id, "PENDING"]
      ])
    }))

  it.effect("launching an empty draft is a 422 listing every missing field in order", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft({})
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token }))
      const problem = assertProblem(reply, 422, "draft-incomplete")
      assert.deepStrictEqual(problem.missing, ["seed_text", "goal", "tier", "forecast_days"])
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("a partly filled draft lists only what is missing; a blank goal counts as missing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft({ seed_text: "Tram vote.", goal: "   ", forecast_days: 3 })
      const reply = yield* service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })
      assert.deepStrictEqual(assertProblem(reply, 422, "draft-incomplete").missing, ["goal", "tier"])
      yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token, json: { goal: unique("g"), tier: "small" } })
      const launched = yield* service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })
      assert.strictEqual(launched.status, 200, launched.text)
    }))

  it.effect("launching twice is a 409, and PATCH after the launch is a 409 too", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const { token, draft } = yield* userWithDraft(completeDraft())
      assert.strictEqual((yield* service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })).status, 200)
      const startsAfterFirst = yield* control.started
      const again = yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token }))
      assert.strictEqual(assertProblem(again, 409, "status-conflict").job_status, "PENDING")
      assert.deepStrictEqual(yield* control.started, startsAfterFirst)
      const patch = yield* service.call("PATCH", `/api/jobs/draft/${draft.id}`, { token, json: { goal: "late" } })
      assertProblem(patch, 409, "status-conflict")
    }))

  it.effect("concurrent launches of one draft: exactly one 200 and one start, the rest 409", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const { token, draft } = yield* userWithDraft(completeDraft())
      const replies = yield* Effect.all(
        Array.from({ length: 6 }, () => service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(replies.filter((reply) => reply.status === 200).length, 1, replies.map((r) => r.status).join())
      for (const reply of replies) {
        if (reply.status !== 200) assertProblem(reply, 409)
      }
      assert.strictEqual((yield* control.started).filter((id) => id === draft.id).length, 1)
      const events = yield* jobEvents(draft.id)
      assert.strictEqual(events.filter((event) => event.data["to"] === "PENDING").length, 1)
    }))

  it.effect("a launch that loses the race to another launch of the same draft is told so, not that the draft duplicates itself", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const { token, draft } = yield* userWithDraft(completeDraft())
      const launch = service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })
      // Hold the draft's row so that both launches get past their checks of the DRAFT status and then queue up
      // (one on the row, one on the admission lock); releasing it lets them run one after the other.
      const fibers = yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT id FROM simulation_jobs WHERE id = ${draft.id} FOR UPDATE`
        const forked = [yield* Effect.forkChild(launch), yield* Effect.forkChild(launch)]
        yield* waitForLockWaiters(2)
        return forked
      })).pipe(Effect.orDie)
      const replies = yield* Effect.forEach(fibers, Fiber.join)
      const [won, lost] = replies[0]!.status === 200 ? replies : [replies[1]!, replies[0]!]
      assert.strictEqual(won!.status, 200, won!.text)
      // What a second launch answers when it comes later: the draft is no longer a draft.
      const problem = assertProblem(lost!, 409)
      assert.notStrictEqual(problem.existing_job_id, draft.id, `the draft is named as its own duplicate: ${lost!.text}`)
      assert.strictEqual(problem.type, "urn:fishcloud:problem:status-conflict")
    }))

  it.effect("launching a duplicate of a live job is a 409 naming it, and the draft stays a DRAFT", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const body = completeDraft()
      const { token, draft } = yield* userWithDraft(body)
      const live = yield* service.call("POST", "/api/jobs", { token, json: { ...body, forecast_days: 30 } })
      assert.strictEqual(live.status, 201)
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token }))
      assert.strictEqual(assertProblem(reply, 409, "duplicate-job").existing_job_id, live.json.id)
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("launching a draft whose seed is over MAX_SEED_CHARS is a 400 naming seed_text, and it stays a DRAFT", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const { token, draft } = yield* userWithDraft(completeDraft())
      yield* sql`UPDATE simulation_jobs SET seed_text = repeat('x', ${maxSeedChars + 1}) WHERE id = ${draft.id}`
        .pipe(Effect.orDie)
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token }))
      assertBadRequest(reply, ["payload", "seed_text"])
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("a failed lifecycle start on launch is a 500 and leaves it a DRAFT; launching later works", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const { token, draft } = yield* userWithDraft(completeDraft())
      yield* Ref.set(control.failStarts, true)
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      assertProblem(reply, 500, "lifecycle-unavailable")
      const fetched = yield* service.call("GET", `/api/jobs/${draft.id}`, { token })
      assert.strictEqual(fetched.json.status, "DRAFT")
      assert.notInclude(yield* control.started, draft.id)
      const retried = yield* service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token })
      assert.strictEqual(retried.status, 200, retried.text)
      assert.include(yield* control.started, draft.id)
    }))

  it.effect("launching a draft for a tier with no routing is a 500 naming the tier, and it stays a DRAFT", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const { token, draft } = yield* userWithDraft({ ...completeDraft(), tier: "medium" })
      const restore = sql`INSERT INTO model_routing (sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args)
        VALUES ('medium', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 100, 20, NULL) ON CONFLICT (sim_tier) DO NOTHING`.pipe(Effect.orDie)
      const reply = yield* Effect.gen(function*() {
        yield* sql`DELETE FROM model_routing WHERE sim_tier = 'medium'`.pipe(Effect.orDie)
        return yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token }))
      }).pipe(Effect.ensuring(restore))
      assert.strictEqual(assertProblem(reply, 500, "routing-missing").tier, "medium")
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
    }))

  it.effect("launching a missing draft or another user's is a 404, and a regular job is a 409", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, draft } = yield* userWithDraft(completeDraft())
      const stranger = yield* service.tokenFor(unique("stranger"))
      assertProblem(
        yield* leavesNoRows(service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token: stranger })),
        404,
        "job-not-found"
      )
      assert.strictEqual(yield* statusOf(draft.id), "DRAFT")
      assertProblem(yield* service.call("POST", `/api/jobs/draft/${draft.id + 1_000_000}/launch`, { token }), 404)
      const job = yield* service.call("POST", "/api/jobs", { token, json: newJob() })
      const reply = yield* service.call("POST", `/api/jobs/draft/${job.json.id}/launch`, { token })
      assert.strictEqual(assertProblem(reply, 409, "status-conflict").job_status, "PENDING")
    }))
})
