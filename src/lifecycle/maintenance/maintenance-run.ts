/**
 * One maintenance pass: the stale-job detector (which fails abandoned jobs and releases their pods), then the
 * orphan-pod reaper (which ends whatever is still left). Run by the cluster cron every few minutes and by
 * `fishcloud maintenance run`.
 */
import { Effect } from "effect"
import { countMaintenanceRun } from "../../metrics.ts"
import { reapOrphanPods, type ReaperReport } from "./orphan-pod-reaper.ts"
import { detectStaleJobs, type StaleJob } from "./stale-job-detector.ts"

interface MaintenanceReport {
  readonly staleJobs: ReadonlyArray<StaleJob>
  readonly reaper: ReaperReport
}

export const runMaintenance = Effect.fn("Maintenance.run")(
  function*() {
    const staleJobs = yield* detectStaleJobs()
    const reaper = yield* reapOrphanPods()
    const report: MaintenanceReport = { staleJobs, reaper }
    yield* Effect.logInfo(
      `maintenance: ${staleJobs.filter((job) => job.failed).length} stale jobs failed, ` +
        `${reaper.reaped.length} of ${reaper.examined} pods reaped`
    )
    return report
  },
  Effect.tapCause(() => countMaintenanceRun("error")),
  Effect.tap(() => countMaintenanceRun("ok"))
)
