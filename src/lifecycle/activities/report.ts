/**
 * One attempt at the analyst report. Success puts the markdown in the object store (best effort: the row is the
 * record), stores the report, its structured result and key insight, and completes the job. Failures come back as
 * values, so the report workflow decides between a durable back-off and failing the job; a report that was written
 * but could not be saved (the database kept failing, `policies.persistRetry`) is `PersistFailed`, and whatever
 * reached the object store stays there.
 */
import { Effect, Option, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { CurrentJob } from "../../../services/llm-usage-recorder.ts"
import { ReportWriter } from "../../../services/report-writer.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { reportKey } from "../../domain/artifacts.ts"
import type { JobId } from "../../domain/ids.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { backoff } from "../../domain/time-scale.ts"
import { retryWhileDatabaseAway } from "../database-away.ts"
import { policies } from "../policies.ts"
import { jobCompleted } from "../job-log.ts"

export const ReportAttempt = Schema.Union([
  Schema.TaggedStruct("Completed", {}),
  Schema.TaggedStruct("Skipped", { status: Schema.String }),
  Schema.TaggedStruct("Transient", { message: Schema.String }),
  Schema.TaggedStruct("Permanent", { message: Schema.String }),
  Schema.TaggedStruct("PersistFailed", { message: Schema.String })
])
export type ReportAttempt = typeof ReportAttempt.Type

export const writeReport = (jobId: JobId, attempt: number) =>
  activity({
    name: `write-report-${attempt}`,
    success: ReportAttempt,
    execute: Effect.gen(function*(): Effect.fn.Return<ReportAttempt, never, ReportWriter | ObjectStore | JobJournal> {
      const journal = yield* JobJournal
      const status = yield* journal.currentStatus(jobId)
      if (Option.isNone(status) || status.value !== "REPORTING") {
        return { _tag: "Skipped", status: Option.getOrElse(status, () => "DELETED") }
      }
      const facts = yield* journal.loadFacts(jobId)
      if (Option.isNone(facts)) return { _tag: "Permanent", message: "the job has no goal or tier" }
      const writer = yield* ReportWriter
      const written = yield* writer.write({ jobId, goal: facts.value.goal, forecastDays: facts.value.forecast_days }).pipe(
        Effect.provideService(CurrentJob, jobId),
        Effect.result
      )
      if (written._tag === "Failure") {
        const error = written.failure
        return error.kind === "transient" ? { _tag: "Transient", message: error.message } : { _tag: "Permanent", message: error.message }
      }
      const report = written.success
      const store = yield* ObjectStore
      const stored = yield* store.put(reportKey(jobId), new TextEncoder().encode(report.markdown), "text/markdown").pipe(
        Effect.as(true),
        Effect.catch((error) => Effect.as(Effect.logWarning("could not store report.md; the job row keeps the report", error), false))
      )
      const schedule = yield* backoff(policies.persistRetry)
      const saved = yield* Effect.gen(function*() {
        yield* journal.saveReport(jobId, report)
        return yield* journal.transition(jobId, "COMPLETED")
      }).pipe(
        // A database outage is waited out here (running the step again would write the report again, with the LLM);
        // other database errors are defects: retried as failures, then reported as a value.
        retryWhileDatabaseAway,
        Effect.catchDefect(Effect.fail),
        Effect.retry({ schedule }),
        Effect.result
      )
      if (saved._tag === "Failure") {
        yield* Effect.logError("the report was written but could not be saved", saved.failure)
        const kept = stored ? ` (the report is kept in the object store at ${reportKey(jobId)})` : ""
        return { _tag: "PersistFailed", message: `the report could not be saved${kept}` }
      }
      if (saved.success) yield* jobCompleted(jobId, yield* journal.jobTotals(jobId))
      return { _tag: "Completed" }
    }).pipe(step("writeReport", { "job.id": jobId, attempt }))
  })
