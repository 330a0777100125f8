/** How long-running activities notice a cancel: the API moves the job to CANCELLED before interrupting it. */
import { Effect, Option, Schema } from "effect"
import type { JobId } from "../../domain/ids.ts"
import { isTerminal } from "../../domain/status.ts"
import { JobJournal } from "../../../services/job-journal.ts"

/** The job reached a terminal status from outside (cancelled by its owner, failed by a reaper). */
export class JobStopped extends Schema.TaggedError<JobStopped>()("JobStopped", { status: Schema.String }) {}

/** Fails with `JobStopped` when the job is no longer live; call it in every wait loop. */
export const ensureLive = Effect.fn("Lifecycle.ensureLive")(function*(jobId: JobId) {
  const status = yield* JobJournal.use((journal) => journal.currentStatus(jobId))
  if (Option.isNone(status)) return yield* new JobStopped({ status: "DELETED" })
  if (isTerminal(status.value)) return yield* new JobStopped({ status: status.value })
})
