/** Pod naming and the request a job makes of its provider. */
import type { PodRequest } from "../../services/pod-provider.ts"
import type { JobId } from "../domain/ids.ts"
import type { ModelRouting } from "../domain/job.ts"
import type { Tier } from "../domain/tier.ts"

/** Deterministic per job and attempt, so a re-run provision finds the pod it created before a crash. */
const podName = (jobId: JobId, attempt: number) => `fishcloud-sim-j${jobId}-a${attempt}`

/** The job id a pod name belongs to (reapers recover it from provider metadata alone). */
export const jobIdOfPodName = (name: string): number | undefined => {
  const match = /^fishcloud-sim-j(\d+)-a\d+$/.exec(name)
  return match === null ? undefined : Number(match[1])
}

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

/** GPU types to try, in order: the configured one, then fallbacks with enough memory for the model. */
export const gpuCandidates = (configured: string): ReadonlyArray<string> => [
  ...new Set([
    configured,
    "NVIDIA H100 80GB HBM3",
    "NVIDIA H100 PCIe",
    "NVIDIA H100 NVL",
    "NVIDIA L40S",
    "NVIDIA L40",
    "NVIDIA A40",
    "NVIDIA RTX A6000",
    "NVIDIA A100-SXM4-40GB"
  ])
]
