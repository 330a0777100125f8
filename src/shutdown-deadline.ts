/**
 * SIGTERM stops the service within a bounded time at any load. Stopping gracefully releases this runner's shards
 * (so another runner takes its jobs over at once) and lets in-flight steps end; with thousands of jobs in flight
 * that took minutes. Past the grace the process is killed: that is as safe as a crash, which the lifecycle is built
 * for (every job's state is in Postgres, every step is re-run or adopted by the next runner that holds it, and pods
 * keep running meanwhile); only the shard locks then expire instead of being handed over.
 *
 * The deadline runs on a thread of its own, started at the signal: at 5,000 jobs in flight the stopping service kept
 * its event loop so busy that a timer of 8 s on it fired after 47 s.
 */
import { Worker } from "node:worker_threads"
import { Duration, Effect, Layer, type Scope } from "effect"
import { Settings } from "./config.ts"

/** How the process is asked to stop. */
export interface StopSignals {
  /** Calls `listener` first when the process is asked to stop (SIGTERM, SIGINT), for as long as the scope lasts. */
  readonly subscribe: (listener: () => void) => Effect.Effect<void, never, Scope.Scope>
}

const processSignals: StopSignals = {
  subscribe: (listener) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        // Before the runtime's own listener, which starts the (long) stop.
        process.prependOnceListener("SIGTERM", listener)
        process.prependOnceListener("SIGINT", listener)
      }),
      () =>
        Effect.sync(() => {
          process.off("SIGTERM", listener)
          process.off("SIGINT", listener)
        })
    )
}

/** Code run by the watchdog thread: after `ms`, say why on stderr and kill the process. */
const watchdogSource = `
import { writeSync } from "node:fs"
import { workerData } from "node:worker_threads"
setTimeout(() => {
  writeSync(2, workerData.message + "\\n")
  process.kill(workerData.pid, "SIGKILL")
}, workerData.ms)
`

/** Kills this process after `grace` from a thread of its own, unless the process has ended by then. */
export const startWatchdog = (grace: Duration.Duration) => {
  const worker = new Worker(watchdogSource, {
    eval: true,
    workerData: {
      pid: process.pid,
      ms: Duration.toMillis(grace),
      message: `fishcloud: still stopping after ${Duration.format(grace)} (SHUTDOWN_GRACE_SECONDS): killing the process; ` +
        "in-flight jobs resume on the next runner that holds them"
    }
  })
  // The watchdog never keeps a process alive that has finished stopping.
  worker.unref()
}

/** From the stop signal on, the process lives at most `shutdownGrace`. */
export const ShutdownDeadline = (
  watchdog: (grace: Duration.Duration) => void = startWatchdog,
  signals: StopSignals = processSignals
) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const { shutdownGrace } = yield* Settings
    yield* signals.subscribe(() => watchdog(shutdownGrace))
  }))
