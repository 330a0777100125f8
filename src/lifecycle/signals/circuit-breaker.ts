/**
 * LLM circuit breaker (`docs/lifecycle.md`, "Polling the simulation"): on the pod every retried vLLM call logs
 * `llm.chat transient error attempt=...`.
 * When most recent LLM activity is such errors, the pod's model server is broken and the pod is swapped.
 */
import type { PollThresholds } from "./thresholds.ts"
import { formatSeconds, markers, Verdict } from "./verdict.ts"

export interface BreakerSample {
  readonly atMs: number
  readonly errors: number
  readonly total: number
}

const errorLine = /transient error/i
const activityLine = /llm\.chat|\bround[= ]\d+/i

export interface BreakerStep {
  /** The samples still inside the window, including this batch's when it had any LLM activity. */
  readonly samples: ReadonlyArray<BreakerSample>
  readonly verdict?: Verdict
}

export const circuitBreaker = (
  samples: ReadonlyArray<BreakerSample>,
  nowMs: number,
  lines: ReadonlyArray<string>,
  limits: PollThresholds
): BreakerStep => {
  const errors = lines.filter((line) => errorLine.test(line)).length
  const total = lines.filter((line) => activityLine.test(line)).length
  const added = total > 0 ? [...samples, { atMs: nowMs, errors, total }] : samples
  const kept = added.filter((sample) => sample.atMs >= nowMs - limits.breakerWindowMs)
  const windowErrors = kept.reduce((sum, sample) => sum + sample.errors, 0)
  const windowTotal = kept.reduce((sum, sample) => sum + sample.total, 0)
  if (windowTotal >= limits.breakerMinLines && windowErrors / windowTotal > limits.breakerErrorRatio) {
    const percent = Math.round((windowErrors / windowTotal) * 100)
    const message = `${markers.circuitBroken}: ${windowErrors} of ${windowTotal} LLM log lines were transient errors ` +
      `(${percent}%) in the last ${formatSeconds(limits.breakerWindowMs)}s ` +
      `(threshold > ${Math.round(limits.breakerErrorRatio * 100)}% of >= ${limits.breakerMinLines} lines)`
    return { samples: kept, verdict: Verdict.CircuitBroken({ message }) }
  }
  return { samples: kept }
}
