/** The foundation schema: users and tokens, tier routing, jobs, their event log, pods and idempotency keys. */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  yield* sql`CREATE TABLE users (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    is_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  )`

  // Only a SHA-256 of each token is kept; the token itself is shown once.
  yield* sql`CREATE TABLE api_tokens (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
  )`

  yield* sql`CREATE TABLE model_routing (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sim_tier text NOT NULL UNIQUE,
    model_id text NOT NULL,
    gpu_type text NOT NULL,
    max_rounds integer NOT NULL DEFAULT 200 CHECK (max_rounds > 0),
    vllm_args text,
    target_agents integer NOT NULL DEFAULT 5 CHECK (target_agents > 0)
  )`
  const vllmArgs = "--max-model-len 16384 --enable-auto-tool-choice --tool-call-parser hermes"
  yield* sql`INSERT INTO model_routing (sim_tier, model_id, gpu_type, max_rounds, target_agents, vllm_args) VALUES
    ('small', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 15, 10, ${vllmArgs}),
    ('medium', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 100, 20, ${vllmArgs}),
    ('large', 'Qwen/Qwen3-14B', 'NVIDIA L40S', 200, 35, ${vllmArgs})
    ON CONFLICT (sim_tier) DO NOTHING`

  yield* sql`CREATE TABLE simulation_jobs (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seed_text text NOT NULL DEFAULT '',
    goal text,
    tier text CHECK (tier IN ('small', 'medium', 'large')),
    enrich_web boolean NOT NULL DEFAULT true,
    forecast_days integer,
    status text NOT NULL CHECK (status IN
      ('DRAFT', 'PENDING', 'PROVISIONING', 'RUNNING', 'REPORTING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    routing jsonb,
    pipeline_stage integer,
    live_status jsonb,
    markets_config jsonb,
    enriched_seed text,
    enrichment_citations jsonb,
    result_report text,
    result_chat_log jsonb,
    result_graph jsonb,
    result_structured jsonb,
    key_insight varchar(200),
    error_message text,
    sim_data_available boolean NOT NULL DEFAULT false,
    gpu_provider text,
    pod_id text,
    workflow_id text,
    retry_of integer REFERENCES simulation_jobs(id) ON DELETE SET NULL,
    provision_seconds double precision,
    pipeline_seconds double precision,
    gpu_cost_usd double precision,
    cancel_requested_at timestamptz,
    last_event_seq integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    phase_entered_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
  )`
  yield* sql`CREATE INDEX simulation_jobs_user_created ON simulation_jobs (user_id, created_at DESC, id DESC)`
  yield* sql`CREATE INDEX simulation_jobs_live ON simulation_jobs (status)
    WHERE status IN ('PENDING', 'PROVISIONING', 'RUNNING', 'REPORTING')`
  yield* sql`CREATE INDEX simulation_jobs_retry_of ON simulation_jobs (retry_of) WHERE retry_of IS NOT NULL`

  // Append-only story of each job; seq increases per job (allocated from simulation_jobs.last_event_seq).
  yield* sql`CREATE TABLE job_events (
    job_id integer NOT NULL REFERENCES simulation_jobs(id) ON DELETE CASCADE,
    seq integer NOT NULL,
    kind text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, seq)
  )`

  // One row per pod ever requested. No foreign key: a pod outlives a deleted job until it is terminated.
  yield* sql`CREATE TABLE pods (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id integer NOT NULL,
    provider text NOT NULL,
    pod_id text,
    name text NOT NULL,
    gpu_type text,
    cost_per_hour double precision,
    requested_at timestamptz NOT NULL DEFAULT now(),
    ready_at timestamptz,
    terminated_at timestamptz,
    termination_reason text
  )`
  yield* sql`CREATE INDEX pods_job ON pods (job_id)`
  yield* sql`CREATE UNIQUE INDEX pods_provider_pod ON pods (provider, pod_id) WHERE pod_id IS NOT NULL`

  yield* sql`CREATE TABLE idempotency_keys (
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key text NOT NULL,
    request_sha256 text NOT NULL,
    response_status integer,
    response_body jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
  )`
})
