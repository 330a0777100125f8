/** The poll loop's limits for one tier in milliseconds and counts, from `policies`, durations times a time scale. */
import { Duration } from "effect"
import type { Tier } from "../../domain/tier.ts"
import { policies } from "../policies.ts"

export interface PollThresholds {
  readonly tier: Tier
  /** The time scale the durations below were multiplied by (1 in production). */
  readonly scale: number
  /** One minute at this scale: slow-pod rates are rounds per scaled minute, so tier minimums hold at any scale. */
  readonly minuteMs: number
  readonly logsEveryPolls: number
  readonly maxConsecutiveFailures: number
  readonly breakerWindowMs: number
  readonly breakerMinLines: number
  readonly breakerErrorRatio: number
  readonly slowPodWindowMs: number
  readonly slowPodMinRoundDelta: number
  readonly slowPodMinRoundsPerMinute: number
  readonly stuckAfterMs: number
  readonly tierTimeoutMs: number
}

/**
 * `scale` multiplies every duration (the `TimeScale` reference in `src/domain/time-scale.ts`; the caller reads it and passes it in).
 * It must be > 0. Counts and ratios are not scaled; the stuck threshold has a real-time floor (`stuckAfterFloor`).
 */
export const pollThresholds = (tier: Tier, scale = 1): PollThresholds => {
  const ms = (d: Duration.Duration) => Duration.toMillis(d) * scale
  return {
    tier,
    scale,
    minuteMs: 60_000 * scale,
    logsEveryPolls: policies.poll.logsEveryPolls,
    maxConsecutiveFailures: policies.poll.maxConsecutiveFailures,
    breakerWindowMs: ms(policies.circuitBreaker.window),
    breakerMinLines: policies.circuitBreaker.minLines,
    breakerErrorRatio: policies.circuitBreaker.errorRatio,
    slowPodWindowMs: ms(policies.slowPod.window),
    slowPodMinRoundDelta: policies.slowPod.minRoundDelta,
    slowPodMinRoundsPerMinute: policies.slowPod.minRoundsPerMinute[tier],
    stuckAfterMs: Math.max(ms(policies.stuckAfter[tier]), Duration.toMillis(policies.stuckAfterFloor)),
    tierTimeoutMs: ms(policies.tierTimeout[tier])
  }
}
