/**
 * Each pod's worker secret (`POD_WORKER_SECRET`): the bearer token its worker asks of every call. Kept with the pod's
 * row so a runner that resumes the job (or re-adopts the pod after a crash) can still talk to it. Null for pods
 * created before secrets existed: their workers ask for none.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE pods ADD COLUMN worker_secret text`
})
