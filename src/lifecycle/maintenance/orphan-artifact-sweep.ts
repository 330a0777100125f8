/**
 * The orphan-artifact sweep: the objects of a deleted job (`sim-data/<id>/...`) are deleted. `DELETE /api/jobs/:id`
 * deletes a job's objects before its row, but the pod of a job cancelled by the delete may still upload with its
 * presigned PUT URLs afterwards (they live until they expire), and a process may die between the two deletes: each
 * maintenance pass removes what they leave. The database says which jobs are gone (`MaintenanceStore.deletedJobIds`:
 * ids it issued that have no row), so a folder of a job that exists, or of an id this database never issued, is never
 * touched. Bounded: at most `jobsPerPass` deleted jobs' folders per pass; the rest wait for the next pass.
 */
import { Effect, Option, Schema } from "effect"
import { MaintenanceStore } from "../../../services/maintenance-store.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { simDataPrefix } from "../../domain/artifacts.ts"
import { JobId } from "../../domain/ids.ts"
import { policies } from "../policies.ts"

/** The folder that holds every job's folder: `simDataPrefix(id)` is `sim-data/<id>/`. */
export const simDataRoot = "sim-data/"

export interface ArtifactSweepLimits {
  /** Deleted jobs whose objects one pass removes, at most. */
  readonly jobsPerPass: number
  /** Job ids asked about in one database query. */
  readonly idsPerQuery: number
}

const artifactSweepLimits: ArtifactSweepLimits = policies.maintenance.artifactSweep

const isJobId = Schema.is(JobId)

/** The job whose folder `folder` is (`sim-data/<id>/`, the id written as `simDataPrefix` writes it), if any. */
const jobOfFolder = (folder: string): Option.Option<JobId> => {
  const id = Number(folder.slice(simDataRoot.length, -1))
  return isJobId(id) && simDataPrefix(id) === folder ? Option.some(id) : Option.none()
}

interface SweptJob {
  readonly job_id: JobId
  /** Objects deleted. */
  readonly objects: number
}

export interface ArtifactSweepReport {
  /** Job folders found under `sim-data/`. */
  readonly examined: number
  /** Deleted jobs whose objects this pass removed. */
  readonly swept: ReadonlyArray<SweptJob>
  /** Deleted jobs whose objects the store would not remove (the next pass tries again); `null`: the listing failed. */
  readonly failed: ReadonlyArray<{ readonly job_id: JobId | null; readonly error: string }>
  /** True when the pass stopped at `jobsPerPass`: more deleted jobs' objects wait for the next pass. */
  readonly more: boolean
}

export const sweepOrphanArtifacts = Effect.fn("Maintenance.sweepOrphanArtifacts")(function*(
  limits: ArtifactSweepLimits = artifactSweepLimits
) {
  const objects = yield* ObjectStore
  const store = yield* MaintenanceStore
  const listed = yield* Effect.result(objects.listFolders(simDataRoot))
  if (listed._tag === "Failure") {
    yield* Effect.logError(`artifact sweep: the object store could not list ${simDataRoot}; the next pass tries again`, listed.failure)
    const report: ArtifactSweepReport = { examined: 0, swept: [], failed: [{ job_id: null, error: listed.failure.message }], more: false }
    return report
  }
  const ids = listed.success.flatMap((folder) => Option.toArray(jobOfFolder(folder)))
  // Asked in batches, and only until a pass's worth is found.
  const deleted: Array<JobId> = []
  for (let start = 0; start < ids.length && deleted.length <= limits.jobsPerPass; start += limits.idsPerQuery) {
    deleted.push(...(yield* store.deletedJobIds(ids.slice(start, start + limits.idsPerQuery))))
  }
  const swept: Array<SweptJob> = []
  const failed: Array<{ job_id: JobId | null; error: string }> = []
  for (const id of deleted.slice(0, limits.jobsPerPass)) {
    const removed = yield* Effect.result(objects.deletePrefix(simDataPrefix(id)))
    if (removed._tag === "Failure") {
      yield* Effect.logWarning(`artifact sweep: the objects of deleted job ${id} could not be deleted; the next pass tries again`, removed.failure)
      failed.push({ job_id: id, error: removed.failure.message })
    } else {
      swept.push({ job_id: id, objects: removed.success })
    }
  }
  const report: ArtifactSweepReport = { examined: ids.length, swept, failed, more: deleted.length > limits.jobsPerPass }
  yield* Effect.logInfo(
    `artifact sweep: ${ids.length} job folders examined, ${swept.length} deleted jobs' objects removed ` +
      `(${swept.reduce((sum, job) => sum + job.objects, 0)} objects), ${failed.length} failed` +
      (report.more ? "; more wait for the next pass" : "")
  )
  return report
})
