/**
 * Public share links of finished jobs (`POST /api/jobs/:id/share`). One link per job: sharing again returns it,
 * revoking deletes the row, and deleting the job deletes its link. The token is kept as is (not hashed) because the
 * owner may ask for the link again; it grants reading that one job's results and nothing else.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE share_links (
    job_id integer PRIMARY KEY REFERENCES simulation_jobs(id) ON DELETE CASCADE,
    token text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
  )`
})
