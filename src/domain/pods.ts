/** Pod names and the GPU types a job may run on: rules every pod provider shares. */
import type { JobId } from "./ids.ts"

/** Deterministic per job and attempt, so a re-run provision finds the pod it created before a crash. */
export const podName = (jobId: JobId, attempt: number) => `fishcloud-sim-j${jobId}-a${attempt}`

/** The job id a pod name belongs to (reapers recover it from provider metadata alone). */
export const jobIdOfPodName = (name: string): number | undefined => {
  const match = /^fishcloud-sim-j(\d+)-a\d+$/.exec(name)
  return match === null ? undefined : Number(match[1])
}

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
