/**
 * SIGTERM stops the service within a bounded time at any load. Stopping gracefully releases this runner's shards
 * (so another runner takes its jobs over at once) and lets in-flight steps end; with thousands of jobs in flight
 * that can take minutes. Past the grace the process exits anyway: that is as safe as a crash, which the lifecycle is
 * built for (every job's state is in Postgres, every step is re-run or adopted by the next runner that holds it, and
 * pods keep running meanwhile); only the shard locks then expire instead of being handed over.
 */
import { Duration, Effect, Layer } from "effect"
import { Settings } from "./config.ts"

/** The code a stop by signal ends with (as Effect's runtime reports an interrupted main fiber). */
const stoppedBySignal = 130

/**
 * Built last so it is released first: when the service starts stopping, a detached timer starts that calls `exit`
 * after `shutdownGrace` unless the process has ended by then.
 */
export const ShutdownDeadline = (exit: (code: number) => void = (code) => process.exit(code)) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const { shutdownGrace } = yield* Settings
    yield* Effect.addFinalizer(() =>
      Effect.forkDetach(
        Effect.sleep(shutdownGrace).pipe(
          Effect.andThen(Effect.logWarning(
            `still stopping after ${Duration.format(shutdownGrace)} (SHUTDOWN_GRACE_SECONDS): exiting now; ` +
              "in-flight jobs resume on the next runner that holds them"
          )),
          Effect.andThen(Effect.sync(() => exit(stoppedBySignal)))
        )
      )
    )
  }))
