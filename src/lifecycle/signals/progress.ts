/**
 * Round progress (`docs/lifecycle.md`, "Polling the simulation"): the slow-pod detector, evaluated each time the round
 * reaches a new maximum, and the stuck watchdog, which measures time since the last new maximum.
 */
import type { PollThresholds } from "./thresholds.ts"
import { formatSeconds, markers, Verdict } from "./verdict.ts"

export interface RoundSample {
  readonly atMs: number
  readonly round: number
}

export interface SlowPodStep {
  /** The samples within the window, the new one last. */
  readonly samples: ReadonlyArray<RoundSample>
  readonly verdict?: Verdict
}

/**
 * Call only when `round` is a new maximum. The rate is measured between the oldest and the newest sample in the window,
 * in rounds per (scaled) minute, and only once they are at least `slowPodMinRoundDelta` rounds apart.
 */
export const slowPod = (
  samples: ReadonlyArray<RoundSample>,
  nowMs: number,
  round: number,
  limits: PollThresholds
): SlowPodStep => {
  const kept = [...samples, { atMs: nowMs, round }].filter((sample) => sample.atMs >= nowMs - limits.slowPodWindowMs)
  const first = kept[0]!
  const deltaRounds = round - first.round
  const deltaMs = nowMs - first.atMs
  if (kept.length < 2 || deltaRounds < limits.slowPodMinRoundDelta || deltaMs <= 0) return { samples: kept }
  // One division, so a rate exactly at the minimum compares equal to it.
  const rate = (deltaRounds * limits.minuteMs) / deltaMs
  if (rate >= limits.slowPodMinRoundsPerMinute) return { samples: kept }
  const message = `${markers.slowPod}: ${rate.toFixed(2)} rounds/min over ~${formatSeconds(deltaMs)}s ` +
    `(round ${first.round}→${round}, tier=${limits.tier}, threshold=${limits.slowPodMinRoundsPerMinute})`
  return { samples: kept, verdict: Verdict.SlowPod({ message }) }
}

/**
 * Armed once a round > 0 was seen (`maxRound`); trips when the last new maximum is older than the tier's threshold.
 * `lastProgressAtMs` is when `maxRound` was first seen.
 */
export const stuck = (
  nowMs: number,
  maxRound: number,
  lastProgressAtMs: number | undefined,
  limits: PollThresholds
): Verdict | undefined => {
  if (maxRound <= 0 || lastProgressAtMs === undefined) return undefined
  const quietMs = nowMs - lastProgressAtMs
  if (quietMs <= limits.stuckAfterMs) return undefined
  return Verdict.Stuck({
    message: `Sim stuck: no round progress for ${formatSeconds(quietMs)}s at round ${maxRound} ` +
      `(tier=${limits.tier}, threshold=${formatSeconds(limits.stuckAfterMs)}s)`
  })
}
