/**
 * The dead-man's switch at run time: what the rule in `idle-rule.ts` needs, kept as it happens (each authenticated
 * request, each job's end), and `idleShutdown`, which waits until the rule says the worker is to stop. The clock is
 * Effect's, so tests drive it with the TestClock.
 */
import { Clock, Context, Duration, Effect, Layer, Ref } from "effect"
import { type IdleFacts, idleDeadline } from "./idle-rule.ts"
import { PodWorkerSettings } from "./pod-worker-config.ts"
import { WorkerState } from "./state.ts"

export class IdleWatch extends Context.Service<IdleWatch, {
  /** An authenticated request arrived (the bearer check calls it). */
  readonly contact: Effect.Effect<void>
  /** The job ended, however (the job runner calls it). */
  readonly jobEnded: Effect.Effect<void>
  readonly facts: Effect.Effect<IdleFacts>
}>()("fishcloud/pod-worker/IdleWatch") {}

export const IdleWatchLive = Layer.effect(IdleWatch, Effect.gen(function*() {
  const state = yield* WorkerState
  const startedAt = yield* Clock.currentTimeMillis
  const restored = (yield* state.current).status
  // A finished job restored from the data dir (a restarted container) counts as ending now: its results wait for
  // the service for one idle window, not the longer one before a first job.
  const heard = yield* Ref.make<{ readonly lastContactAt: number | undefined; readonly jobEndedAt: number | undefined }>({
    lastContactAt: undefined,
    jobEndedAt: restored === "completed" || restored === "failed" ? startedAt : undefined
  })
  return IdleWatch.of({
    contact: Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(heard, (facts) => ({ ...facts, lastContactAt: now }))),
    jobEnded: Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(heard, (facts) => ({ ...facts, jobEndedAt: now }))),
    facts: Effect.gen(function*() {
      const { lastContactAt, jobEndedAt } = yield* Ref.get(heard)
      const job = yield* state.current
      return { startedAt, lastContactAt, jobEndedAt, jobRunning: job.status === "running" }
    })
  })
}))

/**
 * Waits until the worker is to stop and returns why. It sleeps towards the current deadline and looks again, never
 * longer than one `afterJob` window at a time: requests only move the deadline later, but a job that ends can move it
 * earlier (the window after a job is the shorter one), and then the new deadline is at least one window away, so
 * waking that often misses none. While a job runs there is no deadline; it looks again a window later.
 */
export const idleShutdown = Effect.gen(function*() {
  const watch = yield* IdleWatch
  const settings = yield* PodWorkerSettings
  const limits = { afterJob: settings.idleTimeout, beforeJob: settings.idleTimeoutBeforeJob }
  while (true) {
    const deadline = idleDeadline(yield* watch.facts, limits)
    const now = yield* Clock.currentTimeMillis
    if (deadline !== undefined && now >= deadline.at) return deadline.reason
    const untilDeadline = deadline === undefined ? limits.afterJob : Duration.millis(deadline.at - now)
    yield* Effect.sleep(Duration.min(untilDeadline, limits.afterJob))
  }
})
