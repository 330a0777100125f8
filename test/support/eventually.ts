import { Effect } from "effect"

/**
 * Waits for something outside the program under test (a fake server's counters, a reader's progress, a child
 * process) in real time: checks `condition` every few milliseconds until it holds, and fails naming `what` after a
 * generous deadline, so a busy machine only makes it slower. The program's own timers never need this: they run
 * on simulated time (`simulated-time.ts`).
 */
export const eventually = (what: string, condition: () => boolean, timeoutMs = 20_000) =>
  Effect.callback<void>((resume) => {
    const deadline = Date.now() + timeoutMs
    let timer: NodeJS.Timeout | undefined
    const check = () => {
      if (condition()) return resume(Effect.void)
      if (Date.now() > deadline) return resume(Effect.die(new Error(`timed out after ${timeoutMs / 1000}s waiting for: ${what}`)))
      timer = setTimeout(check, 5)
    }
    check()
    return Effect.sync(() => clearTimeout(timer))
  })

/** Like `eventually`, for a condition that is itself an effect (an HTTP call to a child process, a query). */
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
