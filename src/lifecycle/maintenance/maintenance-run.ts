/**
 * One maintenance pass: the stale-job detector (which fails abandoned jobs and releases their pods), then the
 * orphan-pod reaper (which ends whatever is still left), then the orphan-artifact sweep (which deletes what deleted
 * jobs left in the object store). Run by the cluster cron every few minutes and by `fishcloud maintenance run`.
 */
import { Effect } from "effect"
import { countMaintenanceRun } from "../../metrics.ts"
import { type ArtifactSweepReport, sweepOrphanArtifacts } from "./orphan-artifact-sweep.ts"
import { reapOrphanPods, type ReaperReport } from "./orphan-pod-reaper.ts"
import { detectStaleJobs, type StaleJob } from "./stale-job-detector.ts"

interface MaintenanceReport {
  readonly staleJobs: ReadonlyArray<StaleJob>
  readonly reaper: ReaperReport
  readonly artifacts: ArtifactSweepReport
}

export const runMaintenance = Effect.fn("Maintenance.run")(
  function*() {
    const staleJobs = yield* detectStaleJobs()
    const reaper = yield* reapOrphanPods()
    const artifacts = yield* sweepOrphanArtifacts()
    const report: MaintenanceReport = { staleJobs, reaper, artifacts }
    yield* Effect.logInfo(
      `maintenance: ${staleJobs.filter((job) => job.failed).length} stale jobs failed, ` +
        `${reaper.reaped.length} of ${reaper.examined} pods reaped, ` +
        `${artifacts.swept.length} deleted jobs' artifacts removed`
    )
    return report
  },
  Effect.tapCause(() => countMaintenanceRun("error")),
  Effect.tap(() => countMaintenanceRun("ok"))
)
