/** Marking a job FAILED with its reason: the guarded transition, so it never overwrites a terminal row. */
import { Effect } from "effect"
import { Activity } from "effect/workflow"
import type { JobId } from "../../domain/ids.ts"
import { JobJournal } from "../../../services/job-journal.ts"

export const markFailed = (jobId: JobId, message: string) =>
  Activity.make({
    name: "mark-failed",
    execute: JobJournal.use((journal) => journal.transition(jobId, "FAILED", { errorMessage: message })).pipe(Effect.asVoid)
  })
