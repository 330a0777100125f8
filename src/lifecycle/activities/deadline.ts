/**
 * A wait's end, fixed once as its own step and journaled: a step re-run after a crash or a runner handover waits
 * only what is left, instead of starting its wait over (under repeated handovers a pod that never gets ready would
 * otherwise be waited for forever).
 */
import { Clock, Duration, Effect, Schema } from "effect"
import { scaled } from "../../domain/time-scale.ts"
import { activity } from "./activity.ts"

export const Deadline = Schema.Struct({
  /** Epoch milliseconds. */
  at: Schema.Number,
  /** The wait it ends, in seconds (scaled), for messages. */
  seconds: Schema.Number
})
export type Deadline = typeof Deadline.Type

/** The step `name`: now + `after` (scaled). */
export const fixDeadline = (name: string, after: Duration.Duration) =>
  activity({
    name,
    success: Deadline,
    execute: Effect.gen(function*() {
      const wait = yield* scaled(after)
      const now = yield* Clock.currentTimeMillis
      return { at: now + Duration.toMillis(wait), seconds: Math.round(Duration.toSeconds(wait)) }
    })
  })

/** Whether waiting `every` more would go past `deadline`. */
export const passed = (deadline: Deadline, every: Duration.Duration) =>
  Effect.map(Clock.currentTimeMillis, (now) => now + Duration.toMillis(every) > deadline.at)
