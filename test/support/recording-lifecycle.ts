/**
 * A test `JobLifecycle` that proves the transactional contract: `start` writes to `test_lifecycle_starts` inside the
 * caller's transaction (so a rolled-back admission leaves no start either), and can be told to fail. `cancel` makes
 * the real guarded move to CANCELLED and records the job instead of interrupting an execution.
 */
import { Context, Effect, Layer, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { JobJournalLive } from "../../layers/db/job-journal.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { JobLifecycle, LifecycleError } from "../../services/job-lifecycle.ts"
import type { JobId } from "../../src/domain/ids.ts"

export class LifecycleControl extends Context.Service<LifecycleControl, {
  readonly failStarts: Ref.Ref<boolean>
  readonly cancelled: Ref.Ref<ReadonlyArray<JobId>>
  /** Jobs whose seed enrichment was asked for again. */
  readonly enriched: Ref.Ref<ReadonlyArray<JobId>>
  /** Jobs whose start committed. */
  readonly started: Effect.Effect<ReadonlyArray<number>>
}>()("test/LifecycleControl") {}

export const RecordingLifecycleLive = Layer.effectContext(Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const journal = yield* JobJournal
  yield* sql`CREATE TABLE IF NOT EXISTS test_lifecycle_starts (job_id integer PRIMARY KEY)`.pipe(Effect.orDie)
  const failStarts = yield* Ref.make(false)
  const cancelled = yield* Ref.make<ReadonlyArray<JobId>>([])
  const enriched = yield* Ref.make<ReadonlyArray<JobId>>([])
  const lifecycle = JobLifecycle.of({
    start: (jobId) =>
      Effect.gen(function*() {
        if (yield* Ref.get(failStarts)) {
          return yield* new LifecycleError({ job_id: jobId, message: "test: the engine refused the start" })
        }
        yield* sql`INSERT INTO test_lifecycle_starts (job_id) VALUES (${jobId})`.pipe(Effect.orDie)
      }),
    cancel: (jobId, reason) =>
      Effect.gen(function*() {
        const moved = yield* journal.transition(jobId, "CANCELLED", { reason })
        if (moved) yield* Ref.update(cancelled, (ids) => [...ids, jobId])
        return moved
      }),
    enrichAgain: (jobId) =>
      Effect.gen(function*() {
        yield* journal.appendEvent(jobId, { kind: "enrichment", data: { event: "requested" } })
        yield* Ref.update(enriched, (ids) => [...ids, jobId])
      })
  })
  const control = LifecycleControl.of({
    failStarts,
    cancelled,
    enriched,
    started: sql<{ job_id: number }>`SELECT job_id FROM test_lifecycle_starts ORDER BY job_id`.pipe(
      Effect.map((rows) => rows.map((row) => row.job_id)),
      Effect.orDie
    )
  })
  return Context.make(JobLifecycle, lifecycle).pipe(Context.add(LifecycleControl, control))
})).pipe(Layer.provideMerge(JobJournalLive))
