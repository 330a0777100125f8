/** Each pod's run progress as the lifecycle last saw it (`src/domain/pod-progress.ts`); null until it is polled. */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE pods ADD COLUMN progress jsonb`
})
