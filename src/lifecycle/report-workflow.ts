/**
 * The report step, after the pod is gone: write the analyst report; transient LLM errors retry after 30, 120,
 * 300, 900 and 1800 s (durable sleeps: a restart does not reset them), then the job fails; permanent errors fail it
 * at once. A job that is no longer REPORTING (cancelled meanwhile) is skipped.
 */
import { Effect } from "effect"
import { DurableClock } from "effect/workflow"
import { markFailed } from "./activities/fail.ts"
import { writeReport } from "./activities/report.ts"
import { scaled } from "../domain/time-scale.ts"
import { policies } from "./policies.ts"
import { ReportWorkflow } from "./workflows.ts"

export const ReportWorkflowLive = ReportWorkflow.toLayer(Effect.fn("ReportWorkflow")(function*({ job_id }) {
  const jobId = job_id
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
}, (effect, { job_id }) => Effect.annotateLogs(effect, "job_id", job_id)))
