/**
 * Why the poll loop stops before the worker finishes, and what the workflow does about it (`docs/lifecycle.md`,
 * "Polling the simulation").
 */
import { Data } from "effect"

/** Prefixes of the failure messages; a swap also records its marker as the old pod's termination reason. */
export const markers = {
  unreachable: "pod_unreachable",
  circuitBroken: "llm_circuit_broken",
  slowPod: "slow_pod"
} as const

/**
 * Every variant carries the job's failure message. `Unreachable`, `CircuitBroken` and `SlowPod` messages start with
 * their marker (`markers`); `Stuck`, `TimedOut` and `WorkerFailed` have none and fail the job.
 */
export type Verdict = Data.TaggedEnum<{
  /** `/status` failed too many times in a row: wait, then poll the same pod again. */
  Unreachable: { readonly message: string }
  /** Most LLM calls on the pod fail: swap the pod. */
  CircuitBroken: { readonly message: string }
  /** Rounds advance too slowly: swap the pod. */
  SlowPod: { readonly message: string }
  /** No new round for too long. */
  Stuck: { readonly message: string }
  /** The tier's whole-run budget is spent. */
  TimedOut: { readonly message: string }
  /** The worker itself reported `failed`. */
  WorkerFailed: { readonly message: string }
}>
export const Verdict = Data.taggedEnum<Verdict>()

/** What the workflow does with a verdict: poll the same pod again later, replace the pod, or fail the job. */
export type Recovery = "retry-same-pod" | "swap-pod" | "fail"

export const recoveryOf: (verdict: Verdict) => Recovery = Verdict.$match({
  Unreachable: () => "retry-same-pod" as const,
  CircuitBroken: () => "swap-pod" as const,
  SlowPod: () => "swap-pod" as const,
  Stuck: () => "fail" as const,
  TimedOut: () => "fail" as const,
  WorkerFailed: () => "fail" as const
})

/** Whole seconds for messages, or up to three decimals below 10 s (short durations show up at a small time scale). */
export const formatSeconds = (ms: number): string =>
  ms >= 10_000 ? String(Math.floor(ms / 1000)) : String(Number((ms / 1000).toFixed(3)))
