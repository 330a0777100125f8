import { assert, layer } from "@effect/vitest"
import { Effect, Ref, Result } from "effect"
import { SqlClient } from "effect/sql"
import { JobId } from "../../src/domain/ids.ts"
import type { JobCreate } from "../../src/domain/job.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"
import { TestServiceLive } from "../support/service.ts"
import { createJob, failsWith, firstIssue, jobEvents, leavesNoRows, newJob, newUser, setStatus, storedJob } from "../support/api-fixtures.ts"

/** A fresh user, their client and one PENDING job of theirs. */
const userWithJob = (overrides: Partial<JobCreate> = {}) =>
  Effect.gen(function*() {
    const { token, api } = yield* newUser("user")
    const job = yield* createJob(api, newJob(overrides))
    return { token, api, job }
  })

const cancelledIds = Effect.gen(function*() {
  const control = yield* LifecycleControl
  return yield* Ref.get(control.cancelled)
})

layer(TestServiceLive(), { excludeTestServices: true })("cancel, delete and retry", (it) => {
  // ---- POST /api/jobs/:id/cancel

  it.effect("cancel answers 200 with the CANCELLED job, records the PENDING -> CANCELLED event and stops it", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      const cancelled = yield* api.jobs.cancel({ params: { id: job.id } })
      assert.strictEqual(cancelled.id, job.id)
      assert.strictEqual(cancelled.status, "CANCELLED")
      assert.isNotNull(cancelled.completed_at)
      const fetched = yield* api.jobs.get({ params: { id: job.id } })
      assert.strictEqual(fetched.status, "CANCELLED")
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
      const { api, job } = yield* userWithJob()
      yield* api.jobs.cancel({ params: { id: job.id } })
      const again = yield* leavesNoRows(failsWith(api.jobs.cancel({ params: { id: job.id } }), "StatusConflict"))
      assert.strictEqual(again.job_status, "CANCELLED")
    }))

  it.effect("a job that is running can be cancelled; a finished one cannot", () =>
    Effect.gen(function*() {
      const running = yield* userWithJob()
      yield* setStatus(running.job.id, "RUNNING")
      const cancelled = yield* running.api.jobs.cancel({ params: { id: running.job.id } })
      assert.strictEqual(cancelled.status, "CANCELLED")
      assert.strictEqual((yield* jobEvents(running.job.id)).at(-1)!.data["from"], "RUNNING")
      for (const status of ["COMPLETED", "FAILED"]) {
        const { api, job } = yield* userWithJob()
        yield* setStatus(job.id, status)
        const refused = yield* leavesNoRows(failsWith(api.jobs.cancel({ params: { id: job.id } }), "StatusConflict"))
        assert.strictEqual(refused.job_status, status)
        assert.strictEqual((yield* storedJob(job.id))!.status, status)
      }
    }))

  it.effect("cancelling a draft is a 409", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("drafter")
      const draft = yield* api.drafts.create({ payload: { enrich_web: true } })
      const refused = yield* leavesNoRows(failsWith(api.jobs.cancel({ params: { id: draft.id } }), "StatusConflict"))
      assert.strictEqual(refused.job_status, "DRAFT")
    }))

  it.effect("cancelling another user's job is a 404 and leaves it running", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      const stranger = yield* newUser("stranger")
      yield* leavesNoRows(failsWith(stranger.api.jobs.cancel({ params: { id: job.id } }), "JobNotFound"))
      assert.strictEqual((yield* api.jobs.get({ params: { id: job.id } })).status, "PENDING")
      assert.notInclude(yield* cancelledIds, job.id)
      yield* failsWith(api.jobs.cancel({ params: { id: JobId.make(job.id + 1_000_000) } }), "JobNotFound")
    }))

  it.effect("concurrent cancels of one job: exactly one 200, the rest 409, one event and one stop", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      const results = yield* Effect.all(
        Array.from({ length: 6 }, () => Effect.result(api.jobs.cancel({ params: { id: job.id } }))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 1)
      for (const result of results.filter(Result.isFailure)) {
        const error = result.failure
        assert.strictEqual(error._tag, "StatusConflict", String(error))
        if (error._tag === "StatusConflict") assert.strictEqual(error.job_status, "CANCELLED")
      }
      const events = yield* jobEvents(job.id)
      assert.strictEqual(events.filter((event) => event.data["to"] === "CANCELLED").length, 1)
      assert.strictEqual((yield* cancelledIds).filter((id) => id === job.id).length, 1)
    }))

  // ---- DELETE /api/jobs/:id

  it.effect("deleting a finished job answers 204 with no body, then the job is gone (404, also for a 2nd delete)", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      yield* setStatus(job.id, "COMPLETED")
      const [, response] = yield* api.jobs.delete({ params: { id: job.id }, responseMode: "decoded-and-response" })
      assert.strictEqual(response.status, 204)
      assert.strictEqual(yield* response.text, "")
      yield* failsWith(api.jobs.get({ params: { id: job.id } }), "JobNotFound")
      yield* failsWith(api.jobs.delete({ params: { id: job.id } }), "JobNotFound")
      assert.isUndefined(yield* storedJob(job.id))
      assert.deepStrictEqual(yield* jobEvents(job.id), [])
      assert.notInclude(yield* cancelledIds, job.id, "a finished job has nothing to stop")
      const listed = yield* api.jobs.list({ query: {} })
      assert.strictEqual(listed.total, 0)
    }))

  it.effect("deleting a live job cancels it first", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      // The client accepts only the declared 204 for a delete.
      yield* api.jobs.delete({ params: { id: job.id } })
      assert.include(yield* cancelledIds, job.id)
      yield* failsWith(api.jobs.get({ params: { id: job.id } }), "JobNotFound")
    }))

  it.effect("deleting another user's job is a 404 and deletes nothing", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      const stranger = yield* newUser("stranger")
      yield* leavesNoRows(failsWith(stranger.api.jobs.delete({ params: { id: job.id } }), "JobNotFound"))
      const fetched = yield* api.jobs.get({ params: { id: job.id } })
      assert.strictEqual(fetched.status, "PENDING")
      assert.notInclude(yield* cancelledIds, job.id)
    }))

  it.effect("deleting a job that was retried keeps the retry", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      yield* api.jobs.cancel({ params: { id: job.id } })
      const retry = yield* api.jobs.retry({ params: { id: job.id } })
      yield* api.jobs.delete({ params: { id: job.id } })
      const fetched = yield* api.jobs.get({ params: { id: retry.id } })
      assert.strictEqual(fetched.status, "PENDING")
      const listed = yield* api.jobs.list({ query: {} })
      assert.deepStrictEqual(listed.jobs.map((j) => j.id), [retry.id])
    }))

  // ---- POST /api/jobs/:id/retry

  it.effect("retrying a cancelled job makes a new PENDING job with the same request and retry_of set", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, job } = yield* userWithJob({ tier: "medium", forecast_days: 42, enrich_web: false })
      yield* api.jobs.cancel({ params: { id: job.id } })
      // The client accepts only the declared 201 for a retry.
      const retry = yield* api.jobs.retry({ params: { id: job.id } })
      assert.notStrictEqual(retry.id, job.id)
      assert.strictEqual(retry.status, "PENDING")
      assert.strictEqual(retry.retry_of, job.id)
      assert.strictEqual(retry.seed_text, job.seed_text)
      assert.strictEqual(retry.goal, job.goal)
      assert.strictEqual(retry.tier, "medium")
      assert.strictEqual(retry.enrich_web, false)
      assert.strictEqual(retry.forecast_days, 42)
      assert.include(yield* control.started, retry.id)
      const events = yield* jobEvents(retry.id)
      assert.deepStrictEqual(events.map((event) => event.data), [{ to: "PENDING", retry_of: job.id }])
      const listed = yield* api.jobs.list({ query: {} })
      assert.deepStrictEqual(listed.jobs.map((j) => j.id), [retry.id])
      assert.strictEqual(listed.total, 1)
      // The original itself is untouched.
      assert.strictEqual((yield* api.jobs.get({ params: { id: job.id } })).status, "CANCELLED")
    }))

  it.effect("a FAILED job can be retried", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      yield* setStatus(job.id, "FAILED")
      const retry = yield* api.jobs.retry({ params: { id: job.id } })
      assert.strictEqual(retry.retry_of, job.id)
    }))

  it.effect("only FAILED or CANCELLED jobs can be retried: anything else is a 409 naming the status", () =>
    Effect.gen(function*() {
      for (const status of ["PENDING", "RUNNING", "COMPLETED"]) {
        const { api, job } = yield* userWithJob()
        if (status !== "PENDING") yield* setStatus(job.id, status)
        const refused = yield* leavesNoRows(failsWith(api.jobs.retry({ params: { id: job.id } }), "StatusConflict"))
        assert.strictEqual(refused.job_status, status)
      }
      const { api } = yield* newUser("drafter")
      const draft = yield* api.drafts.create({ payload: { seed_text: "s", goal: "g", enrich_web: true } })
      const refused = yield* leavesNoRows(failsWith(api.jobs.retry({ params: { id: draft.id } }), "StatusConflict"))
      assert.strictEqual(refused.job_status, "DRAFT")
    }))

  it.effect("retrying another user's job is a 404 and creates nothing", () =>
    Effect.gen(function*() {
      const { job } = yield* userWithJob()
      yield* setStatus(job.id, "FAILED")
      const stranger = yield* newUser("stranger")
      yield* leavesNoRows(failsWith(stranger.api.jobs.retry({ params: { id: job.id } }), "JobNotFound"))
    }))

  it.effect("a retry is checked like a new job: an identical live job makes it a 409 duplicate", () =>
    Effect.gen(function*() {
      const { api, job } = yield* userWithJob()
      yield* api.jobs.cancel({ params: { id: job.id } })
      const first = yield* api.jobs.retry({ params: { id: job.id } })
      const second = yield* leavesNoRows(failsWith(api.jobs.retry({ params: { id: job.id } }), "DuplicateJob"))
      assert.strictEqual(second.existing_job_id, first.id)
    }))

  it.effect("a retry is checked like a new job: a seed over MAX_SEED_CHARS is a 400 naming seed_text", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api, job } = yield* userWithJob()
      // Only possible if the limit was lowered after the job was made; the retry must apply today's limit.
      yield* sql`UPDATE simulation_jobs SET status = 'FAILED', seed_text = repeat('x', 50001) WHERE id = ${job.id}`
        .pipe(Effect.orDie)
      const problem = yield* leavesNoRows(failsWith(api.jobs.retry({ params: { id: job.id } }), "BadRequestProblem"))
      firstIssue(problem, ["payload", "seed_text"])
    }))

  it.effect("a retry whose lifecycle cannot start is a 500, creates nothing and keeps the original listed", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, job } = yield* userWithJob()
      yield* api.jobs.cancel({ params: { id: job.id } })
      yield* Ref.set(control.failStarts, true)
      yield* leavesNoRows(failsWith(api.jobs.retry({ params: { id: job.id } }), "LifecycleUnavailable")).pipe(
        Effect.ensuring(Ref.set(control.failStarts, false))
      )
      const listed = yield* api.jobs.list({ query: {} })
      assert.deepStrictEqual(listed.jobs.map((j) => j.id), [job.id])
      yield* api.jobs.retry({ params: { id: job.id } })
    }))
})
