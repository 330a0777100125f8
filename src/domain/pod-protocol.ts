/**
 * The HTTP protocol between the orchestrator and the worker on a pod (`docs/lifecycle.md`, "The pod worker protocol").
 */
import { Schema } from "effect"
import { Market } from "./market.ts"

export const WorkerJobStatus = Schema.Literals(["idle", "running", "completed", "failed"])
export type WorkerJobStatus = typeof WorkerJobStatus.Type

/** `GET /health`: 200 once the LLM backend serves, 503 `waiting_for_vllm` before. */
export const HealthReply = Schema.Struct({
  status: Schema.Literals(["ok", "waiting_for_vllm"]),
  vllm_ready: Schema.Boolean,
  job_status: WorkerJobStatus
})
export type HealthReply = typeof HealthReply.Type

/** `POST /job`. */
export const JobRequest = Schema.Struct({
  seed_text: Schema.String,
  goal: Schema.String,
  max_rounds: Schema.Int,
  forecast_days: Schema.Int,
  target_agents: Schema.Int,
  upload_urls: Schema.Record(Schema.String, Schema.String),
  markets_config: Schema.Array(Market),
  timeout_seconds: Schema.Int,
  /** Seeds the offline agent policy, so a job's results are reproducible. */
  random_seed: Schema.optionalKey(Schema.Int)
})
export type JobRequest = typeof JobRequest.Type

/** `GET /status`. Results ride along once completed; the error once failed. */
export const StatusReply = Schema.Struct({
  status: WorkerJobStatus,
  error: Schema.optionalKey(Schema.String),
  sim_data_uploaded: Schema.optionalKey(Schema.Boolean),
  chat_log: Schema.optionalKey(Schema.String),
  graph_data: Schema.optionalKey(Schema.String),
  structured: Schema.optionalKey(Schema.String)
})
export type StatusReply = typeof StatusReply.Type

/** `GET /logs?tail&source`. */
export const LogsReply = Schema.Struct({
  lines: Schema.Array(Schema.String),
  total_lines: Schema.Int,
  job_status: WorkerJobStatus
})
export type LogsReply = typeof LogsReply.Type

/** `GET /partial_chat?tail`. */
export const PartialChatReply = Schema.Struct({ messages: Schema.Array(Schema.Unknown) })
export type PartialChatReply = typeof PartialChatReply.Type

export const LogSource = Schema.Literals(["all", "pipeline", "vllm"])
export type LogSource = typeof LogSource.Type
