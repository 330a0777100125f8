/**
 * What a deleted job cost, kept when the job is deleted: the monthly spend cap (`layers/db/quotas.ts`) counts it, so
 * deleting finished jobs never gives spend back. The month is that of the job's creation, as for live rows.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE deleted_job_spend (
    job_id integer PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    job_created_at timestamptz NOT NULL,
    gpu_cost_usd float8 NOT NULL,
    llm_cost_usd float8 NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX deleted_job_spend_user_month ON deleted_job_spend (user_id, job_created_at)`
})
