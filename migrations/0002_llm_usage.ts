/** Token usage and estimated cost of the LLM steps of each job (enrichment, markets, report). */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE llm_usage (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id integer NOT NULL REFERENCES simulation_jobs(id) ON DELETE CASCADE,
    step text NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens integer NOT NULL DEFAULT 0,
    output_tokens integer NOT NULL DEFAULT 0,
    cost_usd double precision NOT NULL DEFAULT 0,
    at timestamptz NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX llm_usage_job ON llm_usage (job_id)`
  yield* sql`ALTER TABLE simulation_jobs ADD COLUMN llm_input_tokens integer NOT NULL DEFAULT 0,
    ADD COLUMN llm_output_tokens integer NOT NULL DEFAULT 0, ADD COLUMN llm_cost_usd double precision NOT NULL DEFAULT 0`
})
