/**
 * The run a pod's worker is executing and the workflow is waiting for (`src/lifecycle/run-watcher.ts`): the name of
 * the workflow's wait the watcher completes, and the worker's address. Null when no run on the pod is being watched.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE pods ADD COLUMN watched_run text, ADD COLUMN worker_url text`
  yield* sql`CREATE INDEX pods_watched_run ON pods (job_id) WHERE watched_run IS NOT NULL`
})
