/** The first step of both workflows: what the job is (small facts only; the seed stays in the database). */
import { Effect, Schema } from "effect"
import { Activity } from "effect/workflow"
import type { JobId } from "../../domain/ids.ts"
import { JobFacts, loadFacts } from "../job-records.ts"

export const loadJob = (jobId: JobId) =>
  Activity.make({
    name: "load-job",
    success: Schema.OptionFromNullOr(JobFacts),
    execute: loadFacts(jobId).pipe(Effect.orDie)
  })
