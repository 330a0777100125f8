/**
 * `maintenance run`: one maintenance pass now (the stale-job detector, the orphan-pod reaper, then the
 * orphan-artifact sweep), with the service's settings, database, pod provider and object store; prints what it
 * did. The service runs the same pass every MAINTENANCE_EVERY_MINUTES on its own; this is for operators and tests.
 */
import { Console, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { DatabaseLive } from "../../../layers/db/database.ts"
import { SettingsLive } from "../../config.ts"
import { runMaintenance } from "../../lifecycle/maintenance/maintenance-run.ts"
import { MaintenanceCommandLive } from "../../roles/lifecycle-role.ts"
import { StorageLive } from "../../server.ts"
import { CliFailure, describeError } from "../cli-errors.ts"

const MaintenanceRunLive = MaintenanceCommandLive.pipe(
  Layer.provideMerge(StorageLive),
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(SettingsLive)
)

const run = Command.make(
  "run",
  {},
  Effect.fn("cli.maintenance.run")(
    function*() {
      const report = yield* runMaintenance()
      for (const job of report.staleJobs) {
        yield* Console.log(`job ${job.job_id}: ${job.status} for ${job.minutes_in_status} min: ${job.failed ? "failed (no execution)" : "its execution still runs (alerted)"}`)
      }
      for (const pod of report.reaper.reaped) {
        yield* Console.log(`pod ${pod.pod_id} (${pod.name}${pod.job_id === null ? "" : `, job ${pod.job_id}`}): terminated, ${pod.reason}`)
      }
      for (const pod of report.reaper.failed) yield* Console.log(`pod ${pod.pod_id}: could not be terminated: ${pod.error}`)
      const { artifacts } = report
      for (const job of artifacts.swept) yield* Console.log(`job ${job.job_id} (deleted): ${job.objects} object(s) deleted from the object store`)
      for (const job of artifacts.failed) {
        yield* Console.log(`${job.job_id === null ? "artifact sweep" : `job ${job.job_id} (deleted)`}: objects could not be deleted: ${job.error}`)
      }
      const failedJobs = report.staleJobs.filter((job) => job.failed).length
      yield* Console.log(
        `maintenance: ${failedJobs} stale job(s) failed, ${report.reaper.reaped.length} of ${report.reaper.examined} pod(s) reaped` +
          (report.reaper.failed.length === 0 ? "" : `, ${report.reaper.failed.length} could not be terminated`) +
          `, artifacts of ${artifacts.swept.length} deleted job(s) removed` +
          (artifacts.failed.length === 0 ? "" : `, ${artifacts.failed.length} could not be`) +
          (artifacts.more ? " (more next pass)" : "")
      )
    },
    Effect.scoped,
    Effect.provide(MaintenanceRunLive),
    Effect.mapError((error) => new CliFailure({ message: `maintenance failed: ${describeError(error)}` }))
  )
).pipe(Command.withDescription("Run the stale-job detector, the orphan-pod reaper and the orphan-artifact sweep once, now"))

export const maintenance = Command.make("maintenance").pipe(
  Command.withDescription("Maintenance passes (talks to the database and the pod provider directly)"),
  Command.withSubcommands([run])
)
