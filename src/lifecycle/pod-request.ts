/** The request a job makes of its pod provider. */
import type { PodRequest } from "../../services/pod-provider.ts"
import type { JobId } from "../domain/ids.ts"
import type { ModelRouting } from "../domain/job.ts"
import { podName } from "../domain/pods.ts"
import type { Tier } from "../domain/tier.ts"

/** Large runs want reliable machines; the others take any pool (the provider widens to ALL when short). */
const cloudTypeByTier: Record<Tier, PodRequest["cloudType"]> = { small: "ALL", medium: "ALL", large: "SECURE" }

export const podRequest = (jobId: JobId, attempt: number, tier: Tier, routing: ModelRouting): PodRequest => ({
  name: podName(jobId, attempt),
  gpuType: routing.gpu_type,
  cloudType: cloudTypeByTier[tier],
  env: {
    MODEL_ID: routing.model_id,
    LLM_MODEL_NAME: routing.model_id,
    LLM_BASE_URL: "http://localhost:8000/v1",
    VLLM_ARGS: routing.vllm_args ?? "",
    MAX_ROUNDS: String(routing.max_rounds)
  }
})
