/**
 * Where GPU pods come from: RunPod in production, local processes by default, a scripted fake in tests and
 * rehearsals. Every call is idempotent: creating is made so by looking the deterministic name up first (the
 * lifecycle does), terminating a pod that is already gone succeeds.
 */
import { Context, type Effect, type Option, type Redacted, Schema } from "effect"

/**
 * `stopped`: the pod's container exited but the pod still exists (RunPod EXITED: its volume is still billed until it
 * is terminated); `terminated`: the provider has ended the pod for good.
 */
export const PodState = Schema.Literals(["provisioning", "running", "stopped", "error", "terminated"])
export type PodState = typeof PodState.Type

export const Pod = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  gpu_type: Schema.String,
  cost_per_hour: Schema.Number,
  state: PodState,
  /** Base URL of the pod worker's HTTP API, once the pod runs. */
  worker_url: Schema.NullOr(Schema.String)
})
export type Pod = typeof Pod.Type

export interface PodRequest {
  /** Deterministic per job and attempt: `fishcloud-sim-j{job}-a{n}`. */
  readonly name: string
  readonly gpuType: string
  readonly cloudType: "ALL" | "SECURE" | "COMMUNITY"
  /** The pod's environment; secrets (`POD_WORKER_SECRET`) stay `Redacted` until the provider writes them into the pod. */
  readonly env: Readonly<Record<string, string | Redacted.Redacted<string>>>
}

export class PodProviderError extends Schema.TaggedError<PodProviderError>()("PodProviderError", {
  /** What the orchestrator can do about it: no_capacity/transient may pass with time, the others will not. */
  reason: Schema.Literals(["no_capacity", "payment_required", "forbidden", "rate_limited", "transient", "invalid", "unknown"]),
  message: Schema.String
}) {}

export class PodProvider extends Context.Service<PodProvider, {
  /** `local`, `runpod`, `fake`: recorded in the `pods` table. */
  readonly name: string
  readonly create: (request: PodRequest) => Effect.Effect<Pod, PodProviderError>
  readonly get: (podId: string) => Effect.Effect<Option.Option<Pod>, PodProviderError>
  readonly listByPrefix: (namePrefix: string) => Effect.Effect<ReadonlyArray<Pod>, PodProviderError>
  readonly terminate: (podId: string) => Effect.Effect<void, PodProviderError>
}>()("fishcloud/services/PodProvider") {}
