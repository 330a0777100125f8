import { assert, layer } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestService, testService } from "../support/service.ts"
import { assertBadRequest, assertProblem, jobEvents, leavesNoRows, newJob, setStatus, storedJob, unique } from "./fixtures.ts"

/** A fresh user and one PENDING job of theirs. */
const userWithJob = (overrides: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const token = yield* service.tokenFor(unique("user"))
    const reply = yield* service.call("POST", "/api/jobs", { token, json: newJob(overrides) })
    assert.strictEqual(reply.status, 201, reply.text)
    return { token, job: reply.json as { id: number; seed_text: string; goal: string; tier: string; forecast_days: number } }
  })

const cancelledIds = Effect.gen(function*() {
  const control = yield* LifecycleControl
  return yield* Ref.get(control.cancelled)
})

layer(testService(), { excludeTestServices: true })("cancel, delete and retry", (it) => {
  // ---- POST /api/jobs/:id/cancel

  it.effect("cancel answers 200 with the CANCELLED job, records the PENDING -> CANCELLED event and stops it", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      const reply = yield* service.call("POST", `/api/jobs/${job.id}/cancel`, { token })
      assert.strictEqual(reply.status, 200, reply.text)
      assert.strictEqual(reply.json.id, job.id)
      assert.strictEqual(reply.json.status, "CANCELLED")
      assert.isNotNull(reply.json.completed_at)
      const fetched = yield* service.call("GET", `/api/jobs/${job.id}`, { token })
      assert.strictEqual(fetched.json.status, "CANCELLED")
      const events = yield* jobEvents(job.id)
      assert.strictEqual(events.length, 2)
      assert.strictEqual(events[1]!.seq, 2)
      assert.strictEqual(events[1]!.kind, "status")
      assert.strictEqual(events[1]!.data["from"], "PENDING")
      assert.strictEqual(events[1]!.data["to"], "CANCELLED")
      assert.include(yield* cancelledIds, job.id)
    }))

  it.effect("cancelling again is a 409 naming the status, and writes no event", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      yield* service.call("POST", `/api/jobs/${job.id}/cancel`, { token })
      const again = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/cancel`, { token }))
      assert.strictEqual(assertProblem(again, 409, "status-conflict").job_status, "CANCELLED")
    }))

  it.effect("a job that is running can be cancelled; a finished one cannot", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const running = yield* userWithJob()
      yield* setStatus(running.job.id, "RUNNING")
      const reply = yield* service.call("POST", `/api/jobs/${running.job.id}/cancel`, { token: running.token })
      assert.strictEqual(reply.status, 200, reply.text)
      assert.strictEqual(reply.json.status, "CANCELLED")
      assert.strictEqual((yield* jobEvents(running.job.id)).at(-1)!.data["from"], "RUNNING")
      for (const status of ["COMPLETED", "FAILED"]) {
        const { token, job } = yield* userWithJob()
        yield* setStatus(job.id, status)
        const refused = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/cancel`, { token }))
        assert.strictEqual(assertProblem(refused, 409, "status-conflict").job_status, status)
        assert.strictEqual((yield* storedJob(job.id))!.status, status)
      }
    }))

  it.effect("cancelling a draft is a 409", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("drafter"))
      const draft = yield* service.call("POST", "/api/jobs/draft", { token, json: {} })
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${draft.json.id}/cancel`, { token }))
      assert.strictEqual(assertProblem(reply, 409, "status-conflict").job_status, "DRAFT")
    }))

  it.effect("cancelling another user's job is a 404 and leaves it running", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      const stranger = yield* service.tokenFor(unique("stranger"))
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/cancel`, { token: stranger }))
      assertProblem(reply, 404, "job-not-found")
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${job.id}`, { token })).json.status, "PENDING")
      assert.notInclude(yield* cancelledIds, job.id)
      const missing = yield* service.call("POST", `/api/jobs/${job.id + 1_000_000}/cancel`, { token })
      assertProblem(missing, 404, "job-not-found")
    }))

  it.effect("concurrent cancels of one job: exactly one 200, the rest 409, one event and one stop", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      const replies = yield* Effect.all(
        Array.from({ length: 6 }, () => service.call("POST", `/api/jobs/${job.id}/cancel`, { token })),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(replies.filter((reply) => reply.status === 200).length, 1)
      for (const reply of replies) {
        if (reply.status !== 200) assert.strictEqual(assertProblem(reply, 409, "status-conflict").job_status, "CANCELLED")
      }
      const events = yield* jobEvents(job.id)
      assert.strictEqual(events.filter((event) => event.data["to"] === "CANCELLED").length, 1)
      assert.strictEqual((yield* cancelledIds).filter((id) => id === job.id).length, 1)
    }))

  // ---- DELETE /api/jobs/:id

  it.effect("deleting a finished job answers 204 with no body, then the job is gone (404, also for a 2nd delete)", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      yield* setStatus(job.id, "COMPLETED")
      const reply = yield* service.call("DELETE", `/api/jobs/${job.id}`, { token })
      assert.strictEqual(reply.status, 204)
      assert.strictEqual(reply.text, "")
      assertProblem(yield* service.call("GET", `/api/jobs/${job.id}`, { token }), 404, "job-not-found")
      assertProblem(yield* service.call("DELETE", `/api/jobs/${job.id}`, { token }), 404, "job-not-found")
      assert.isUndefined(yield* storedJob(job.id))
      assert.deepStrictEqual(yield* jobEvents(job.id), [])
      assert.notInclude(yield* cancelledIds, job.id, "a finished job has nothing to stop")
      const listed = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(listed.json.total, 0)
    }))

  it.effect("deleting a live job cancels it first", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      const reply = yield* service.call("DELETE", `/api/jobs/${job.id}`, { token })
      assert.strictEqual(reply.status, 204, reply.text)
      assert.include(yield* cancelledIds, job.id)
      assertProblem(yield* service.call("GET", `/api/jobs/${job.id}`, { token }), 404, "job-not-found")
    }))

  it.effect("deleting another user's job is a 404 and deletes nothing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      const stranger = yield* service.tokenFor(unique("stranger"))
      const reply = yield* leavesNoRows(service.call("DELETE", `/api/jobs/${job.id}`, { token: stranger }))
      assertProblem(reply, 404, "job-not-found")
      const fetched = yield* service.call("GET", `/api/jobs/${job.id}`, { token })
      assert.strictEqual(fetched.status, 200)
      assert.strictEqual(fetched.json.status, "PENDING")
      assert.notInclude(yield* cancelledIds, job.id)
    }))

  it.effect("deleting a job that was retried keeps the retry", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      yield* service.call("POST", `/api/jobs/${job.id}/cancel`, { token })
      const retry = yield* service.call("POST", `/api/jobs/${job.id}/retry`, { token })
      assert.strictEqual((yield* service.call("DELETE", `/api/jobs/${job.id}`, { token })).status, 204)
      const fetched = yield* service.call("GET", `/api/jobs/${retry.json.id}`, { token })
      assert.strictEqual(fetched.status, 200)
      assert.strictEqual(fetched.json.status, "PENDING")
      const listed = yield* service.call("GET", "/api/jobs", { token })
      assert.deepStrictEqual(listed.json.jobs.map((j: { id: number }) => j.id), [retry.json.id])
    }))

  // ---- POST /api/jobs/:id/retry

  it.effect("retrying a cancelled job makes a new PENDING job with the same request and retry_of set", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const { token, job } = yield* userWithJob({ tier: "medium", forecast_days: 42, enrich_web: false })
      yield* service.call("POST", `/api/jobs/${job.id}/cancel`, { token })
      const reply = yield* service.call("POST", `/api/jobs/${job.id}/retry`, { token })
      assert.strictEqual(reply.status, 201, reply.text)
      assert.notStrictEqual(reply.json.id, job.id)
      assert.strictEqual(reply.json.status, "PENDING")
      assert.strictEqual(reply.json.retry_of, job.id)
      assert.strictEqual(reply.json.seed_text, job.seed_text)
      assert.strictEqual(reply.json.goal, job.goal)
      assert.strictEqual(reply.json.tier, "medium")
      assert.strictEqual(reply.json.enrich_web, false)
      assert.strictEqual(reply.json.forecast_days, 42)
      assert.include(yield* control.started, reply.json.id)
      const events = yield* jobEvents(reply.json.id)
      assert.deepStrictEqual(events.map((event) => event.data), [{ to: "PENDING", retry_of: job.id }])
      const listed = yield* service.call("GET", "/api/jobs", { token })
      assert.deepStrictEqual(listed.json.jobs.map((j: { id: number }) => j.id), [reply.json.id])
      assert.strictEqual(listed.json.total, 1)
      // The original itself is untouched.
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${job.id}`, { token })).json.status, "CANCELLED")
    }))

  it.effect("a FAILED job can be retried", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      yield* setStatus(job.id, "FAILED")
      const reply = yield* service.call("POST", `/api/jobs/${job.id}/retry`, { token })
      assert.strictEqual(reply.status, 201, reply.text)
      assert.strictEqual(reply.json.retry_of, job.id)
    }))

  it.effect("only FAILED or CANCELLED jobs can be retried: anything else is a 409 naming the status", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      for (const status of ["PENDING", "RUNNING", "COMPLETED"]) {
        const { token, job } = yield* userWithJob()
        if (status !== "PENDING") yield* setStatus(job.id, status)
        const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/retry`, { token }))
        assert.strictEqual(assertProblem(reply, 409, "status-conflict").job_status, status)
      }
      const token = yield* service.tokenFor(unique("drafter"))
      const draft = yield* service.call("POST", "/api/jobs/draft", { token, json: { seed_text: "s", goal: "g" } })
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${draft.json.id}/retry`, { token }))
      assert.strictEqual(assertProblem(reply, 409, "status-conflict").job_status, "DRAFT")
    }))

  it.effect("retrying another user's job is a 404 and creates nothing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { job } = yield* userWithJob()
      yield* setStatus(job.id, "FAILED")
      const stranger = yield* service.tokenFor(unique("stranger"))
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/retry`, { token: stranger }))
      assertProblem(reply, 404, "job-not-found")
    }))

  it.effect("a retry is checked like a new job: an identical live job makes it a 409 duplicate", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, job } = yield* userWithJob()
      yield* service.call("POST", `/api/jobs/${job.id}/cancel`, { token })
      const first = yield* service.call("POST", `/api/jobs/${job.id}/retry`, { token })
      assert.strictEqual(first.status, 201)
      const second = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/retry`, { token }))
      assert.strictEqual(assertProblem(second, 409, "duplicate-job").existing_job_id, first.json.id)
    }))

  it.effect("a retry is checked like a new job: a seed over MAX_SEED_CHARS is a 400 naming seed_text", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const { token, job } = yield* userWithJob()
      // Only possible if the limit was lowered after the job was made; the retry must apply today's limit.
      yield* sql`UPDATE simulation_jobs SET status = 'FAILED', seed_text = repeat('x', 50001) WHERE id = ${job.id}`
        .pipe(Effect.orDie)
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/retry`, { token }))
      assertBadRequest(reply, ["payload", "seed_text"])
    }))

  it.effect("a retry whose lifecycle cannot start is a 500, creates nothing and keeps the original listed", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const control = yield* LifecycleControl
      const { token, job } = yield* userWithJob()
      yield* service.call("POST", `/api/jobs/${job.id}/cancel`, { token })
      yield* Ref.set(control.failStarts, true)
      const reply = yield* leavesNoRows(service.call("POST", `/api/jobs/${job.id}/retry`, { token })).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      assertProblem(reply, 500, "lifecycle-unavailable")
      const listed = yield* service.call("GET", "/api/jobs", { token })
      assert.deepStrictEqual(listed.json.jobs.map((j: { id: number }) => j.id), [job.id])
      const again = yield* service.call("POST", `/api/jobs/${job.id}/retry`, { token })
      assert.strictEqual(again.status, 201, again.text)
    }))
})
