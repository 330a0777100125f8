import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { JobId } from "../../src/domain/ids.ts"
import { JobJournalLive } from "../../layers/db/job-journal.ts"
import { TestDatabaseLive } from "../support/test-database.ts"
import { appendEvent, progressAt, transition } from "../support/journal.ts"

const newJob = (status: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const users = yield* sql<{ id: number }>`INSERT INTO users (name) VALUES (${`u${Math.random()}`}) RETURNING id`
    const rows = yield* sql<{ id: JobId }>`INSERT INTO simulation_jobs (user_id, seed_text, goal, tier, status)
      VALUES (${users[0]!.id}, 'seed', 'goal', 'small', ${status}) RETURNING id`
    return rows[0]!.id
  }).pipe(Effect.orDie)

const story = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const job = yield* sql<{ status: string; error_message: string | null; completed: boolean }>`
      SELECT status, error_message, completed_at IS NOT NULL AS completed FROM simulation_jobs WHERE id = ${id}`
    const events = yield* sql<{ seq: number; kind: string; data: Record<string, unknown> }>`
      SELECT seq, kind, data FROM job_events WHERE job_id = ${id} ORDER BY seq`
    return { job: job[0]!, events }
  }).pipe(Effect.orDie)

layer(JobJournalLive.pipe(Layer.provideMerge(TestDatabaseLive)), { excludeTestServices: true })("JobJournal: guarded transitions", (it) => {
  it.effect("a permitted transition updates the row and writes its event in order", () =>
    Effect.gen(function*() {
      const id = yield* newJob("PENDING")
      assert.isTrue(yield* transition(id, "PROVISIONING"))
      assert.isTrue(yield* transition(id, "RUNNING", { reason: "pod p1 ready" }))
      yield* appendEvent(id, progressAt(3))
      const { job, events } = yield* story(id)
      assert.strictEqual(job.status, "RUNNING")
      assert.deepStrictEqual(events.map((e) => [e.seq, e.kind]), [[1, "status"], [2, "status"], [3, "progress"]])
      assert.deepStrictEqual(events[1]!.data, { from: "PROVISIONING", to: "RUNNING", reason: "pod p1 ready" })
    }))

  it.effect("a skipped step or a backward move does not happen and writes nothing", () =>
    Effect.gen(function*() {
      const id = yield* newJob("PENDING")
      assert.isFalse(yield* transition(id, "RUNNING"))
      assert.isFalse(yield* transition(id, "DRAFT"))
      const { job, events } = yield* story(id)
      assert.strictEqual(job.status, "PENDING")
      assert.lengthOf(events, 0)
    }))

  it.effect("a terminal row is never revived or overwritten", () =>
    Effect.gen(function*() {
      const id = yield* newJob("RUNNING")
      assert.isTrue(yield* transition(id, "FAILED", { errorMessage: "worker failed: boom" }))
      assert.isFalse(yield* transition(id, "CANCELLED"))
      assert.isFalse(yield* transition(id, "FAILED", { errorMessage: "second failure" }))
      assert.isFalse(yield* transition(id, "REPORTING"))
      const { job, events } = yield* story(id)
      assert.deepStrictEqual(job, { status: "FAILED", error_message: "worker failed: boom", completed: true })
      assert.lengthOf(events, 1)
    }))

  it.effect("concurrent transitions of one job: exactly one wins, events stay gapless", () =>
    Effect.gen(function*() {
      const id = yield* newJob("RUNNING")
      const results = yield* Effect.all([
        transition(id, "FAILED", { errorMessage: "a" }),
        transition(id, "CANCELLED"),
        transition(id, "REPORTING"),
        appendEvent(id, progressAt(1)),
        appendEvent(id, progressAt(2))
      ], { concurrency: "unbounded" })
      assert.strictEqual(results.slice(0, 2).filter((won) => won === true).length, 1)
      const { events } = yield* story(id)
      assert.deepStrictEqual(events.map((e) => e.seq), events.map((_, i) => i + 1))
    }))
})
