/**
 * The time scale (`FISHCLOUD_TIME_SCALE`): every lifecycle duration and back-off is multiplied by it, so a rehearsal
 * that takes an hour at scale 1 takes seconds at 0.001. 1 in production.
 */
import { Context, Duration, Effect, Schedule } from "effect"

export const TimeScale = Context.Reference<number>("fishcloud/lifecycle/TimeScale", { defaultValue: () => 1 })

/** `duration` times the current time scale. */
export const scaled = Effect.fnUntraced(function*(duration: Duration.Duration) {
  const scale = yield* TimeScale
  return Duration.times(duration, scale)
})

export interface Backoff {
  readonly base: Duration.Duration
  readonly cap: Duration.Duration
  readonly attempts: number
}

/** Capped exponential back-off for at most `attempts` retries, in wall-clock time (not scaled). */
export const exponentialBackoff = ({ attempts, base, cap }: Backoff) =>
  // max = both must continue (the attempt limit ends it), with the longer delay (the capped exponential).
  Schedule.max([Schedule.min([Schedule.exponential(base), Schedule.spaced(cap)]), Schedule.recurs(attempts)])

/** Capped exponential back-off, scaled, for at most `attempts` retries. */
export const backoff = Effect.fnUntraced(function*(options: Backoff) {
  return exponentialBackoff({ ...options, base: yield* scaled(options.base), cap: yield* scaled(options.cap) })
})
