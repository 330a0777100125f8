/** The first step of both workflows: what the job is (small facts only; the seed stays in the database). */
import { Effect, Option, Schema } from "effect"
import { activity } from "./activity.ts"
import type { JobId } from "../../domain/ids.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { JobFacts } from "../../domain/job.ts"
import { isLive } from "../../domain/status.ts"
import { jobStarted } from "../job-log.ts"

export const loadJob = (jobId: JobId) =>
  activity({
    name: "load-job",
    success: Schema.OptionFromNullOr(JobFacts),
    execute: JobJournal.use((journal) => journal.loadFacts(jobId)).pipe(
      Effect.tap((facts) => Option.isSome(facts) && isLive(facts.value.status) ? jobStarted(jobId, facts.value) : Effect.void)
    )
  })
