/**
 * Finalize: the artifacts must be in the object store (the store is asked; the pod's own flag is not trusted),
 * timings and cost are recorded, and the job moves to REPORTING.
 */
import { Effect, Option, Schema } from "effect"
import { Activity } from "effect/workflow"
import { ObjectStore } from "../../../services/object-store.ts"
import { simDataFiles, simDataKey } from "../../domain/artifacts.ts"
import type { JobId } from "../../domain/ids.ts"
import { transition } from "../../domain/transitions.ts"
import { markSimDataAvailable, recordTimings } from "../job-records.ts"
import { ensureLive, JobStopped } from "./stop.ts"

export class FinalizeFailed extends Schema.TaggedError<FinalizeFailed>()("FinalizeFailed", { message: Schema.String }) {}

export const finalize = (jobId: JobId) =>
  Activity.make({
    name: "finalize",
    error: Schema.Union([FinalizeFailed, JobStopped]),
    execute: Effect.gen(function*() {
      const store = yield* ObjectStore
      yield* ensureLive(jobId)
      const present = yield* Effect.forEach(simDataFiles, (file) => store.head(simDataKey(jobId, file)), { concurrency: 4 })
      const missing = simDataFiles.filter((_, index) => Option.isNone(present[index]!))
      if (missing.length > 0) {
        return yield* new FinalizeFailed({
          message: `sim_data_upload_failed: ${missing.length} of ${simDataFiles.length} artifacts missing from the object store (${missing.join(", ")})`
        })
      }
      yield* recordTimings(jobId)
      yield* markSimDataAvailable(jobId)
      yield* transition(jobId, "RUNNING")
      yield* transition(jobId, "REPORTING")
    }).pipe(
      Effect.catchTags({ SqlError: Effect.die, ObjectStoreError: Effect.die }),
      Effect.withSpan("Lifecycle.finalize", { attributes: { "job.id": jobId } })
    )
  })
