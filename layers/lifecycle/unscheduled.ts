/**
 * The `JobLifecycle` of a build without the simulation engine: jobs are admitted and stay PENDING, cancels only
 * change the status. It says so at start-up. The durable workflow engine (issue 3) replaces this layer.
 */
import { Effect, Layer } from "effect"
import { JobLifecycle } from "../../services/job-lifecycle.ts"

export const JobLifecycleUnscheduled = Layer.effect(
  JobLifecycle,
  Effect.gen(function*() {
    yield* Effect.logWarning("no simulation engine in this build: new jobs stay PENDING")
    return JobLifecycle.of({
      start: (jobId) => Effect.logDebug(`job ${jobId} admitted; no engine to run it`),
      cancel: () => Effect.void
    })
  })
)
