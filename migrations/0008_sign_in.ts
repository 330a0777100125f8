/**
 * Dashboard sign-in: one-time sign-in codes (the link the service logs on first start and `fishcloud sign-in`
 * prints) and expiring session tokens. Only a SHA-256 of a code is kept, like a token's; a code is used at most once
 * (`used_at`). A session token is an `api_tokens` row of kind `session` with an `expires_at`; the API tokens of
 * `tokens create` and the first start keep `expires_at` null (they do not expire).
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE sign_in_codes (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  )`
  yield* sql`ALTER TABLE api_tokens
    ADD COLUMN kind text NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'session')),
    ADD COLUMN expires_at timestamptz`
  yield* sql`CREATE INDEX api_tokens_expires ON api_tokens (expires_at) WHERE expires_at IS NOT NULL`
})
