/**
 * The transactional contract with the real workflow engine: starting an execution inside the transaction that
 * writes the job row commits or rolls back with it, so there is never an orphan execution.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { WorkflowEngineLive } from "../../layers/lifecycle/workflow-engine.ts"
import { JobJournalLive } from "../../layers/db/job-journal.ts"
import { JobLifecycleLive } from "../../src/lifecycle/job-lifecycle.ts"
import { JobLifecycle } from "../../services/job-lifecycle.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { TestDatabaseLive } from "../support/test-database.ts"

/** The API's engine: starts and cancels executions, runs none (so the started ones stay visible as messages). */
const ApiEngine = JobLifecycleLive.pipe(
  Layer.provideMerge(Layer.merge(WorkflowEngineLive({ role: "api", runnerHost: "127.0.0.1", runnerPort: 0 }), JobJournalLive))
)

const startMessages = (jobId: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM cluster_messages
      WHERE tag = 'run' AND payload = ${JSON.stringify({ job_id: jobId })}`
    return rows[0]!.n
  }).pipe(Effect.orDie)

layer(ApiEngine.pipe(Layer.provideMerge(TestDatabaseLive)), { excludeTestServices: true })("starting a workflow in a transaction", (it) => {
  it.effect("a rolled-back transaction leaves no execution; a committed one leaves exactly one, even if started twice", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const lifecycle = yield* JobLifecycle
      const rolledBack = yield* sql.withTransaction(
        Effect.andThen(lifecycle.start(101 as JobId), Effect.fail("the job row could not be written" as const))
      ).pipe(Effect.flip)
      assert.strictEqual(rolledBack, "the job row could not be written")
      assert.strictEqual(yield* startMessages(101), 0)

      yield* sql.withTransaction(lifecycle.start(102 as JobId))
      yield* sql.withTransaction(lifecycle.start(102 as JobId))
      assert.strictEqual(yield* startMessages(102), 1, "the job id is the execution's idempotency key")
    }), 60_000)
})
