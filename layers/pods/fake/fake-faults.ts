/**
 * The failures a rehearsal can script: `FAKE_POD_FAULTS`, a comma list that every pod of the process meets, and
 * `FAKE_POD_FAULT_SEED`, which gives each job one fault of its own (or none), drawn from the seed and the job id.
 * "The first pod" below is the first pod the process's provider created for a fault of FAKE_POD_FAULTS, and the
 * job's first pod for a drawn fault; "the first twelve terminate calls" likewise counts the rehearsal's or the job's.
 */
import { Effect, Schema } from "effect"
import type { JobId } from "../../../src/domain/ids.ts"

export const FakeFault = Schema.Literals([
  /** The configured GPU type and the first fallback are out of stock; a later fallback has capacity. */
  "stockout",
  /** Every GPU candidate is out of stock for the first create (the first `faultyPods` creates). */
  "total-stockout",
  /** The first pod never leaves provisioning (a readiness timeout). */
  "never-ready",
  /**
   * The provider refuses the first twelve terminate calls (a transient error each time: the teardown step and the
   * workflow's finalizer, each one attempt and five retries), then terminates again: a teardown that exhausts its
   * retries, finished later by the reaper.
   */
  "terminate-fails",
  /** The first pod never becomes healthy. */
  "bad-host",
  /** The first pod logs a fatal vLLM marker. */
  "vllm-fatal",
  /** Status polls fail 30 times in a row once, then the same pod answers again. */
  "unreachable",
  /** The first pod's LLM calls mostly fail (trips the circuit breaker); the next pod is fine. */
  "circuit-breaker",
  /** The first pod simulates too slowly (trips the slow-pod detector); the next pod is fine. */
  "slow-pod",
  /** Rounds stop advancing. */
  "stuck",
  /** The worker reports a failure. */
  "worker-fail",
  /** The worker reports success but uploads nothing. */
  "no-artifacts"
])
export type FakeFault = typeof FakeFault.Type

const decodeFaults = Schema.decodeUnknownEffect(Schema.Array(FakeFault))

/** Parses `a,b, c`; an unknown fault name is an error naming it. */
export const parseFaults = (text: string) =>
  decodeFaults(text.split(",").map((part) => part.trim()).filter((part) => part.length > 0)).pipe(
    Effect.map((faults): ReadonlySet<FakeFault> => new Set(faults))
  )

/** Faults that hit a job's first pod only (its second one is fine), and the first create for `total-stockout`. */
export const firstPodFaults: ReadonlySet<FakeFault> = new Set<FakeFault>([
  "total-stockout",
  "never-ready",
  "bad-host",
  "vllm-fatal",
  "unreachable",
  "circuit-breaker",
  "slow-pod"
])

/** What a job can draw with FAKE_POD_FAULT_SEED: no fault (one time in five) or any one fault. */
const drawable: ReadonlyArray<FakeFault | undefined> = [undefined, undefined, undefined, ...FakeFault.literals]

/**
 * The fault job `jobId` draws under `seed` (undefined: none): a hash of both, so every process of a rehearsal (and
 * the chaos run's audit) draws the same fault for the same job without sharing any state.
 */
export const drawnFault = (seed: number, jobId: JobId): FakeFault | undefined => {
  let hash = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(jobId, 0xc2b2ae35)
  hash = Math.imul(hash ^ (hash >>> 16), 0x7feb352d)
  hash = Math.imul(hash ^ (hash >>> 15), 0x846ca68b)
  return drawable[((hash ^ (hash >>> 16)) >>> 0) % drawable.length]
}
