/**
 * The client of the worker API on a pod (`docs/lifecycle.md`, "The pod worker protocol"): health, submit, status, logs,
 * partial chat. Every call carries the pod's bearer secret, when it has one.
 */
import { Context, type Effect, type Redacted, Schema } from "effect"
import type { HealthReply, JobRequest, LogSource, LogsReply, StatusReply } from "../src/domain/pod-protocol.ts"

export class PodWorkerError extends Schema.TaggedError<PodWorkerError>()("PodWorkerError", {
  /** unreachable: no answer; status: an unexpected HTTP status; malformed: a body that is not the protocol. */
  reason: Schema.Literals(["unreachable", "status", "malformed"]),
  status: Schema.optionalKey(Schema.Int),
  message: Schema.String
}) {}

/** What `POST /job` came to: accepted (a 409 or "already running" counts as accepted) or rejected with a reason. */
export type SubmitOutcome = { readonly _tag: "Accepted" } | { readonly _tag: "Rejected"; readonly reason: string }

/** Where a pod's worker answers, and the bearer secret the pod was created with. */
export interface WorkerEndpoint {
  /** Base URL of the worker's API (`Pod.worker_url`). */
  readonly url: string
  /** `POD_WORKER_SECRET` of the pod; none for a pod created before pods had one (its worker asks for none). */
  readonly secret: Redacted.Redacted<string> | undefined
}

export class PodWorkerClient extends Context.Service<PodWorkerClient, {
  /** 200 and 503 both answer a `HealthReply`; `ready` tells them apart. */
  readonly health: (worker: WorkerEndpoint) => Effect.Effect<HealthReply & { readonly ready: boolean }, PodWorkerError>
  readonly submit: (worker: WorkerEndpoint, job: JobRequest) => Effect.Effect<SubmitOutcome, PodWorkerError>
  readonly status: (worker: WorkerEndpoint) => Effect.Effect<StatusReply, PodWorkerError>
  readonly logs: (worker: WorkerEndpoint, options: { readonly tail: number; readonly source: LogSource }) => Effect.Effect<LogsReply, PodWorkerError>
  readonly partialChat: (worker: WorkerEndpoint, tail: number) => Effect.Effect<ReadonlyArray<unknown>, PodWorkerError>
}>()("fishcloud/services/PodWorkerClient") {}
