/** Pod names and the GPU types a job may run on: rules every pod provider shares. */
import { Option, Schema } from "effect"
import { JobId } from "./ids.ts"

/** Every pod fishcloud creates is named with this prefix; the orphan-pod reaper lists pods by it. */
export const podNamePrefix = "fishcloud-sim-"

/** Deterministic per job and attempt, so a re-run provision finds the pod it created before a crash. */
export const podName = (jobId: JobId, attempt: number) => `${podNamePrefix}j${jobId}-a${attempt}`

const decodeJobId = Schema.decodeUnknownOption(JobId)

/** The job and attempt a pod name stands for (`podName` read backwards), if it is one of fishcloud's. */
export const parsePodName = (name: string): { readonly jobId: JobId; readonly attempt: number } | undefined => {
  const match = /^fishcloud-sim-j(\d+)-a(\d+)$/.exec(name)
  if (match === null) return undefined
  const jobId = Option.getOrUndefined(decodeJobId(Number(match[1])))
  return jobId === undefined ? undefined : { jobId, attempt: Number(match[2]) }
}

/** The job id a pod name belongs to (the reaper recovers it from provider metadata alone). */
export const jobIdOfPodName = (name: string): JobId | undefined => parsePodName(name)?.jobId

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
