/** The failures a rehearsal can script (`FAKE_POD_FAULTS`, a comma list). */
import { Effect, Schema } from "effect"

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
