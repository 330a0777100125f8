/**
 * Enrich-retry's one step: the seed as submitted goes to the enricher again, and the new background research
 * replaces the old on a draft or a finished job (a live job is using its seed: it is skipped). Unlike the pipeline's
 * fail-soft enrichment, the user asked for this one, so a failure is said in the job's events (`enrichment failed`).
 */
import { Duration, Effect, Schema } from "effect"
import { Enricher } from "../../../services/enricher.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { CurrentJob } from "../../../services/llm-usage-recorder.ts"
import type { JobId } from "../../domain/ids.ts"
import { scaled } from "../../domain/time-scale.ts"
import { retryWhileDatabaseAway } from "../database-away.ts"
import { policies } from "../policies.ts"
import { step } from "../step.ts"
import { activity } from "./activity.ts"

export const enrichAgain = (jobId: JobId) =>
  activity({
    name: "enrich-again",
    success: Schema.Literals(["completed", "failed", "skipped"]),
    execute: Effect.gen(function*() {
      const enricher = yield* Enricher
      const journal = yield* JobJournal
      const input = yield* journal.enrichmentInput(jobId)
      if (input._tag === "None") return "skipped" as const
      const timeout = Duration.max(yield* scaled(policies.preGpu.timeout), policies.callTimeoutFloor)
      const outcome = yield* enricher.enrich(input.value).pipe(
        Effect.provideService(CurrentJob, jobId),
        Effect.timeout(timeout),
        Effect.retry({ times: policies.preGpu.attempts - 1 }),
        Effect.result
      )
      if (outcome._tag === "Failure") {
        const error = outcome.failure
        const message = error._tag === "TimeoutError" ? `no answer within ${Duration.format(timeout)}` : error.message
        yield* journal.appendEvent(jobId, { kind: "enrichment", data: { event: "failed", error: message } })
        return "failed" as const
      }
      const enrichment = outcome.success
      if (enrichment === undefined || enrichment.summary.trim() === "") {
        yield* journal.appendEvent(jobId, { kind: "enrichment", data: { event: "failed", error: "the enricher found nothing to add" } })
        return "failed" as const
      }
      // Saved through a database outage in place: the step run again would pay for the LLM call twice.
      const saved = yield* retryWhileDatabaseAway(journal.replaceEnrichment(jobId, enrichment.summary, enrichment.citations))
      if (!saved) {
        yield* journal.appendEvent(jobId, { kind: "enrichment", data: { event: "failed", error: "the job started meanwhile" } })
        return "skipped" as const
      }
      yield* journal.appendEvent(jobId, {
        kind: "enrichment",
        data: { event: "completed", summary_chars: enrichment.summary.length, citations: enrichment.citations.length }
      })
      return "completed" as const
    }).pipe(step("enrichAgain", { "job.id": jobId }))
  })
