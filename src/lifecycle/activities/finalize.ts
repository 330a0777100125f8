/**
 * Finalize: the artifacts must be in the object store (the store is asked; the pod's own flag is not trusted),
 * timings and cost are recorded, and the job moves to REPORTING. An object store that keeps failing fails the job
 * `finalize_failed` (after `policies.persistRetry`).
 */
import { Effect, Option, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { simDataFiles, simDataKey } from "../../domain/artifacts.ts"
import type { JobId } from "../../domain/ids.ts"
import { backoff } from "../../domain/time-scale.ts"
import { policies } from "../policies.ts"
import { ensureLive, JobStopped } from "./stop.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { jobReporting } from "../job-log.ts"

class FinalizeFailed extends Schema.TaggedError<FinalizeFailed>()("FinalizeFailed", { message: Schema.String }) {}

export const finalize = (jobId: JobId) =>
  activity({
    name: "finalize",
    error: Schema.Union([FinalizeFailed, JobStopped]),
    execute: Effect.gen(function*() {
      const store = yield* ObjectStore
      const journal = yield* JobJournal
      yield* ensureLive(jobId)
      const schedule = yield* backoff(policies.persistRetry)
      const present = yield* Effect.forEach(simDataFiles, (file) => store.head(simDataKey(jobId, file)), { concurrency: 4 }).pipe(
        Effect.retry({ schedule }),
        Effect.mapError((error) => new FinalizeFailed({ message: `finalize_failed: ${error.message}` }))
      )
      const missing = simDataFiles.filter((_, index) => Option.isNone(present[index]!))
      if (missing.length > 0) {
        return yield* new FinalizeFailed({
          message: `sim_data_upload_failed: ${missing.length} of ${simDataFiles.length} artifacts missing from the object store (${missing.join(", ")})`
        })
      }
      yield* journal.recordTimings(jobId)
      yield* journal.markSimDataAvailable(jobId)
      // RUNNING first, for a run whose status the watcher never saw running (it ended between two polls).
      yield* journal.transition(jobId, "RUNNING")
      if (yield* journal.transition(jobId, "REPORTING")) yield* jobReporting(jobId)
    }).pipe(step("finalize", { "job.id": jobId }))
  })
