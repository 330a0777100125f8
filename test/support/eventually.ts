/**
 * Waiting for something outside the program under test (a fake server's counters, a reader's progress, a child
 * process) in real time: the condition is checked every few milliseconds until it holds, and the wait fails naming
 * `what` after a generous deadline, so a busy machine only makes it slower. The program's own timers never need
 * this: they run on simulated time (`simulated-time.ts`).
 */
import { Effect } from "effect"

/** Waits until `condition` (an effect: an HTTP call to a child process, a query) succeeds with true. */
export const eventuallyEffect = <E, R>(what: string, condition: Effect.Effect<boolean, E, R>, timeoutMs = 20_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* condition)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out after ${timeoutMs / 1000}s waiting for: ${what}`))
      yield* Effect.callback<void>((resume) => {
        const timer = setTimeout(() => resume(Effect.void), 5)
        return Effect.sync(() => clearTimeout(timer))
      })
    }
  })

/** Waits until `condition` returns true. */
export const eventually = (what: string, condition: () => boolean, timeoutMs = 20_000) =>
  eventuallyEffect(what, Effect.sync(condition), timeoutMs)
