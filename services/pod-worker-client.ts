/**
 * The client of the worker API on a pod (`docs/lifecycle.md`, "The pod worker protocol"): health, submit, status, logs,
 * partial chat.
 */
import { Context, type Effect, Schema } from "effect"
import type { HealthReply, JobRequest, LogSource, LogsReply, StatusReply } from "../src/domain/pod-protocol.ts"

export class PodWorkerError extends Schema.TaggedError<PodWorkerError>()("PodWorkerError", {
  /** unreachable: no answer; status: an unexpected HTTP status; malformed: a body that is not the protocol. */
  reason: Schema.Literals(["unreachable", "status", "malformed"]),
  status: Schema.optionalKey(Schema.Int),
  message: Schema.String
}) {}

/** What `POST /job` came to: accepted (a 409 or "already running" counts as accepted) or rejected with a reason. */
export type SubmitOutcome = { readonly _tag: "Accepted" } | { readonly _tag: "Rejected"; readonly reason: string }

export class PodWorkerClient extends Context.Service<PodWorkerClient, {
  /** 200 and 503 both answer a `HealthReply`; `ready` tells them apart. */
  readonly health: (workerUrl: string) => Effect.Effect<HealthReply & { readonly ready: boolean }, PodWorkerError>
  readonly submit: (workerUrl: string, job: JobRequest) => Effect.Effect<SubmitOutcome, PodWorkerError>
  readonly status: (workerUrl: string) => Effect.Effect<StatusReply, PodWorkerError>
  readonly logs: (workerUrl: string, options: { readonly tail: number; readonly source: LogSource }) => Effect.Effect<LogsReply, PodWorkerError>
  readonly partialChat: (workerUrl: string, tail: number) => Effect.Effect<ReadonlyArray<unknown>, PodWorkerError>
}>()("fishcloud/services/PodWorkerClient") {}
