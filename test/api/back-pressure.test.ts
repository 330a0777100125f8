import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { assertProblem, createJob, jobBody, leavesNoRows, newJob } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

/** Jobs of another user, written behind the API's back, one per status given. */
const jobsOfAnotherUser = (statuses: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [user] = yield* sql<{ id: number }>`INSERT INTO users (name) VALUES ('queue-filler') RETURNING id`
    for (const status of statuses) {
      yield* sql`INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, status)
        VALUES (${user!.id}, 'Seed.', ${`Goal in ${status}?`}, 'small', ${status})`
    }
  }).pipe(Effect.orDie)

/** With MAX_QUEUED_JOBS=2; each block has a database (and a queue count) of its own. */
const settings = { maxQueuedJobs: 2 }

layer(TestServiceLive(settings), { excludeTestServices: true })("admission back-pressure: a full queue", (it) => {
  it.effect("a create while MAX_QUEUED_JOBS jobs are starting is a 503 with Retry-After naming the queue, and writes nothing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("busy-owner")
      yield* jobsOfAnotherUser(["PENDING", "PROVISIONING"])
      const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: jobBody() }))
      const problem = assertProblem(reply, 503, "service-busy")
      assert.strictEqual(reply.headers.get("retry-after"), "5")
      assert.strictEqual(problem.queued_jobs, 2)
      assert.strictEqual(problem.max_queued_jobs, 2)
      assert.strictEqual(problem.retry_after_seconds, 5)
      assert.include(problem.detail, "MAX_QUEUED_JOBS=2")
    }))
})

layer(TestServiceLive(settings), { excludeTestServices: true })("admission back-pressure: started jobs", (it) => {
  it.effect("jobs running on a pod (running, reporting), ended or drafts do not hold a place in the queue", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const api = yield* service.client(yield* service.tokenFor("busy-owner"))
      yield* jobsOfAnotherUser(["PENDING", "RUNNING", "REPORTING", "COMPLETED", "FAILED", "CANCELLED", "DRAFT"])
      const created = yield* createJob(api, newJob())
      assert.strictEqual(created.status, "PENDING")
    }))
})
