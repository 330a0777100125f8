/**
 * The stale-job detector's memory: a job over its status budget whose execution still runs is alerted once per stay
 * in a status (the status and when the job entered it), whichever runner or `fishcloud maintenance run` finds it.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE stale_alerts (
    job_id integer NOT NULL REFERENCES simulation_jobs(id) ON DELETE CASCADE,
    status text NOT NULL,
    status_since_ms bigint NOT NULL,
    alerted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, status, status_since_ms)
  )`
})
