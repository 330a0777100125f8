/**
 * SIGTERM stops the service within a bounded time at any load. Stopping gracefully releases this runner's shards
 * (so another runner takes its jobs over at once) and lets in-flight steps end; with thousands of jobs in flight
 * that took minutes. Past the grace the process exits anyway: that is as safe as a crash, which the lifecycle is
 * built for (every job's state is in Postgres, every step is re-run or adopted by the next runner that holds it, and
 * pods keep running meanwhile); only the shard locks then expire instead of being handed over.
 *
 * The clock starts at the signal itself, not when this layer's turn to be released comes: the first releases of a
 * loaded service (its runners' shards) can take that long on their own.
 */
import { Duration, Effect, Layer, type Scope } from "effect"
import { Settings } from "./config.ts"

/** The code a stop by signal ends with (as Effect's runtime reports an interrupted main fiber). */
const stoppedBySignal = 130

/** How the process is asked to stop. */
export interface StopSignals {
  /** Calls `listener` when the process is asked to stop (SIGTERM, SIGINT), for as long as the scope lasts. */
  readonly subscribe: (listener: () => void) => Effect.Effect<void, never, Scope.Scope>
}

const processSignals: StopSignals = {
  subscribe: (listener) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        process.once("SIGTERM", listener)
        process.once("SIGINT", listener)
      }),
      () =>
        Effect.sync(() => {
          process.off("SIGTERM", listener)
          process.off("SIGINT", listener)
        })
    )
}

/** From the stop signal on, `exit` is called after `shutdownGrace` unless the process has ended by then. */
export const ShutdownDeadline = (
  exit: (code: number) => void = (code) => process.exit(code),
  signals: StopSignals = processSignals
) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const { shutdownGrace } = yield* Settings
    const context = yield* Effect.context<never>()
    const deadline = Effect.sleep(shutdownGrace).pipe(
      Effect.andThen(Effect.logWarning(
        `still stopping after ${Duration.format(shutdownGrace)} (SHUTDOWN_GRACE_SECONDS): exiting now; ` +
          "in-flight jobs resume on the next runner that holds them"
      )),
      Effect.andThen(Effect.sync(() => exit(stoppedBySignal)))
    )
    // Outside every fiber of the service, so stopping the service does not stop the deadline.
    yield* signals.subscribe(() => void Effect.runForkWith(context)(deadline))
  }))
