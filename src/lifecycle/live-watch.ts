/**
 * Whether the jobs polling their pods in this process are still live, read for all of them at once: one query per
 * poll interval for the whole process instead of one per job per poll (with thousands of jobs in flight those reads
 * were a third of a job's database round trips). A cancel or a delete also interrupts the job's workflow; this is
 * the backstop for a job stopped from outside without that interrupt reaching its runner (the stale-job detector,
 * an interrupt lost with a runner).
 */
import { Cause, Context, Deferred, Duration, Effect, Layer, type Scope } from "effect"
import type { JobId } from "../domain/ids.ts"
import { isTerminal } from "../domain/status.ts"
import { scaled } from "../domain/time-scale.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { JobStopped } from "./activities/stop.ts"
import { policies } from "./policies.ts"

export class LiveWatch extends Context.Service<LiveWatch, {
  /**
   * Watches `jobId` while the scope lasts. The effect returned waits until a check finds the job stopped (terminal
   * or deleted), then fails with `JobStopped`; race a wait against it.
   */
  readonly watch: (jobId: JobId) => Effect.Effect<Effect.Effect<never, JobStopped>, never, Scope.Scope>
}>()("fishcloud/lifecycle/LiveWatch") {}

export const LiveWatchLive = Layer.effect(LiveWatch, Effect.gen(function*() {
  const journal = yield* JobJournal
  const every = yield* scaled(policies.poll.every)
  // This layer's own table of the jobs its process watches (several watchers of one job share the signal).
  const watched = new Map<JobId, { readonly stopped: Deferred.Deferred<never, JobStopped>; watchers: number }>()

  const check = Effect.gen(function*() {
    if (watched.size === 0) return
    const ids = [...watched.keys()]
    const statuses = yield* journal.statuses(ids)
    for (const id of ids) {
      const status = statuses.get(id)
      if (status !== undefined && !isTerminal(status)) continue
      const entry = watched.get(id)
      if (entry !== undefined) yield* Deferred.fail(entry.stopped, new JobStopped({ status: status ?? "DELETED" }))
    }
  }).pipe(
    // A failed check (the database away) is logged and the next one tries again; the loops keep polling meanwhile.
    // An interruption (the process stopping) is no failure: it ends the loop unlogged.
    Effect.catchCauseIf(
      (cause) => !Cause.hasInterruptsOnly(cause),
      (cause) => Effect.logWarning(`live-job check failed: ${Cause.pretty(cause)}`)
    )
  )
  yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(Duration.max(every, policies.liveCheckFloor)), check)))

  const watch = (jobId: JobId) =>
    Effect.acquireRelease(
      Effect.gen(function*() {
        const existing = watched.get(jobId)
        if (existing !== undefined) {
          existing.watchers += 1
          return existing.stopped
        }
        const stopped = yield* Deferred.make<never, JobStopped>()
        watched.set(jobId, { stopped, watchers: 1 })
        return stopped
      }),
      () =>
        Effect.sync(() => {
          const entry = watched.get(jobId)
          if (entry === undefined) return
          entry.watchers -= 1
          if (entry.watchers === 0) watched.delete(jobId)
        })
    ).pipe(Effect.map((stopped) => Deferred.await(stopped)))

  return LiveWatch.of({ watch })
}))
