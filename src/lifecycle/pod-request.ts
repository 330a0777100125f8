/** The request a job makes of its pod provider, and the secret its worker will ask of the service. */
import * as Crypto from "node:crypto"
import { Effect, Redacted } from "effect"
import type { PodRequest } from "../../services/pod-provider.ts"
import type { JobId } from "../domain/ids.ts"
import type { ModelRouting } from "../domain/job.ts"
import { podName } from "../domain/pods.ts"
import type { Tier } from "../domain/tier.ts"

/** Large runs want reliable machines; the others take any pool (the provider widens to ALL when short). */
const cloudTypeByTier: Record<Tier, PodRequest["cloudType"]> = { small: "ALL", medium: "ALL", large: "SECURE" }

/**
 * A new pod's worker secret (`docs/lifecycle.md`, "The pod worker protocol"): 32 random bytes, base64url. The pod's
 * port is public on RunPod's proxy, so its worker answers only to whoever sends this as a bearer token.
 */
export const newWorkerSecret = Effect.sync(() => Redacted.make(Crypto.randomBytes(32).toString("base64url")))

export const podRequest = (
  jobId: JobId,
  attempt: number,
  tier: Tier,
  routing: ModelRouting,
  workerSecret: Redacted.Redacted<string>
): PodRequest => ({
  name: podName(jobId, attempt),
  gpuType: routing.gpu_type,
  cloudType: cloudTypeByTier[tier],
  env: {
    MODEL_ID: routing.model_id,
    LLM_MODEL_NAME: routing.model_id,
    LLM_BASE_URL: "http://localhost:8000/v1",
    VLLM_ARGS: routing.vllm_args ?? "",
    MAX_ROUNDS: String(routing.max_rounds),
    // Stays Redacted until the provider writes it into the pod's environment.
    POD_WORKER_SECRET: workerSecret
  }
})
