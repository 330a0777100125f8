/**
 * Scoped, named, revocable tokens and the audit log. Every token gets a name and a scope (`read`, `submit`, `admin`):
 * existing tokens and sessions of administrators get `admin`, everyone else's `submit`, so nothing that worked stops
 * working. `revoked_at` marks a revoked token (kept, so a request with it hears "revoked" rather than "unknown").
 *
 * `audit_log` has one row per state-changing request: who (user and token name, copied so a row outlives both), what
 * (method, route template, action, job id, an allow-listed subject), the outcome (HTTP status) and when. No request
 * body is stored.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE api_tokens
    ADD COLUMN name text NOT NULL DEFAULT 'token' CHECK (length(name) BETWEEN 1 AND 100),
    ADD COLUMN scope text NOT NULL DEFAULT 'submit' CHECK (scope IN ('read', 'submit', 'admin')),
    ADD COLUMN revoked_at timestamptz`
  yield* sql`UPDATE api_tokens SET
      scope = CASE WHEN users.is_admin THEN 'admin' ELSE 'submit' END,
      name = CASE WHEN api_tokens.kind = 'session' THEN 'dashboard session' ELSE 'token ' || api_tokens.id END
    FROM users WHERE users.id = api_tokens.user_id`
  yield* sql`CREATE TABLE audit_log (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    user_id integer REFERENCES users(id) ON DELETE SET NULL,
    user_name text NOT NULL,
    token_id integer,
    token_name text,
    scope text,
    method text NOT NULL,
    route text NOT NULL,
    action text NOT NULL,
    job_id integer,
    subject text,
    status integer NOT NULL
  )`
  yield* sql`CREATE INDEX audit_log_user ON audit_log (user_name, id DESC)`
  yield* sql`CREATE INDEX audit_log_job ON audit_log (job_id, id DESC) WHERE job_id IS NOT NULL`
  yield* sql`CREATE INDEX audit_log_at ON audit_log (at)`
})
