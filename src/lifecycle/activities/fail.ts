/** Marking a job FAILED with its reason: the guarded transition, so it never overwrites a terminal row. */
import { Effect } from "effect"
import { Activity } from "effect/workflow"
import type { JobId } from "../../domain/ids.ts"
import { transition } from "../../domain/transitions.ts"

export const markFailed = (jobId: JobId, message: string) =>
  Activity.make({
    name: "mark-failed",
    execute: transition(jobId, "FAILED", { errorMessage: message }).pipe(
      Effect.asVoid,
      Effect.tapError((error) => Effect.logError("could not mark the job failed", error)),
      Effect.orDie
    )
  })
