/**
 * The order in which create tries GPU types and pools. v2 places exactly one GPU type in one cloud per call and
 * never falls back by itself (`docs/lifecycle.md`, "RunPod"), so the fallback is ours: the configured GPU then
 * `gpuCandidates`, in the configured pool; then the wider pool (ALL) when the configured one is narrower (a SECURE
 * stock-out must not fail a job that COMMUNITY could run). v2 has no `ALL` value: ALL means SECURE then COMMUNITY
 * for each GPU type.
 */
import type { PodRequest } from "../../../services/pod-provider.ts"
import { gpuCandidates } from "../../../src/domain/pods.ts"
import type { RunPodCloud } from "./runpod-client.ts"

export interface Candidate {
  readonly gpuType: string
  readonly cloud: RunPodCloud
}

const clouds = (pool: PodRequest["cloudType"]): ReadonlyArray<RunPodCloud> => (pool === "ALL" ? ["SECURE", "COMMUNITY"] : [pool])

export const candidatePlan = (gpuType: string, pool: PodRequest["cloudType"]): ReadonlyArray<Candidate> => {
  const pools: ReadonlyArray<PodRequest["cloudType"]> = pool === "ALL" ? ["ALL"] : [pool, "ALL"]
  const seen = new Set<string>()
  const plan: Array<Candidate> = []
  for (const current of pools) {
    for (const gpu of gpuCandidates(gpuType)) {
      for (const cloud of clouds(current)) {
        const key = `${gpu}\u0000${cloud}`
        if (seen.has(key)) continue
        seen.add(key)
        plan.push({ gpuType: gpu, cloud })
      }
    }
  }
  return plan
}

export const candidateLabel = (candidate: Candidate) => `${candidate.gpuType} (${candidate.cloud})`
