/**
 * The report step, after the pod is gone: write the analyst report; transient LLM errors retry after 30, 120,
 * 300, 900 and 1800 s (durable sleeps: a restart does not reset them), then the job fails; permanent errors fail it
 * at once; a report that could not be saved fails it `report_persist_failed`. A job that is no longer REPORTING
 * (cancelled meanwhile) is skipped. Anything unexpected fails the job `internal_error` (`failJobOnUnexpected`).
 */
import { Effect } from "effect"
import { DurableClock } from "effect/workflow"
import type { JobId } from "../domain/ids.ts"
import { failJobOnUnexpected, markFailed } from "./activities/fail.ts"
import { writeReport } from "./activities/report.ts"
import { scaled } from "../domain/time-scale.ts"
import { policies } from "./policies.ts"
import { ReportWorkflow } from "./workflows.ts"

export const ReportWorkflowLive = ReportWorkflow.toLayer(Effect.fn("ReportWorkflow")(function*({ job_id }) {
  return yield* report(job_id).pipe(failJobOnUnexpected(job_id))
}, (effect, { job_id }) => Effect.annotateLogs(effect, "job_id", job_id)))

const report = Effect.fnUntraced(function*(jobId: JobId) {
  for (let attempt = 0; ; attempt++) {
    const result = yield* writeReport(jobId, attempt)
    switch (result._tag) {
      case "Completed":
        return "completed" as const
      case "Skipped":
        return "skipped" as const
      case "Permanent":
        yield* markFailed(jobId, `report_generation_failed: ${result.message}`)
        return "failed" as const
      case "PersistFailed":
        yield* markFailed(jobId, `report_persist_failed: ${result.message}`)
        return "failed" as const
      case "Transient": {
        const delay = policies.reportBackoff[attempt]
        if (delay === undefined) {
          yield* markFailed(jobId, `report_transient_exhausted: ${result.message}`)
          return "failed" as const
        }
        yield* DurableClock.sleep({ name: `report-backoff-${attempt}`, duration: yield* scaled(delay) })
      }
    }
  }
})
