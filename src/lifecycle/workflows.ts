/**
 * The durable workflow definitions: names and payload/result schemas only (their programs live in
 * `simulation-workflow.ts` and `report-workflow.ts`). These are journaled: change them only compatibly, or register
 * a new name.
 */
import { Schema } from "effect"
import { Workflow } from "effect/workflow"
import { JobId } from "../domain/ids.ts"

/** How a simulation ended, as the workflow's own result (the job row holds the details). */
const SimulationOutcome = Schema.Literals(["reporting", "failed", "cancelled", "skipped"])
type SimulationOutcome = typeof SimulationOutcome.Type

export const SimulationWorkflow = Workflow.make("fishcloud.SimulationWorkflow", {
  payload: { job_id: JobId },
  success: SimulationOutcome,
  idempotencyKey: ({ job_id }) => `job-${job_id}`
})

const ReportOutcome = Schema.Literals(["completed", "failed", "skipped"])
type ReportOutcome = typeof ReportOutcome.Type

export const ReportWorkflow = Workflow.make("fishcloud.ReportWorkflow", {
  payload: { job_id: JobId },
  success: ReportOutcome,
  idempotencyKey: ({ job_id }) => `report-${job_id}`
})

const EnrichmentOutcome = Schema.Literals(["completed", "failed", "skipped"])

/** Enriching a job's seed again on request (`POST /api/jobs/:id/enrich-retry`); each request is its own execution. */
export const EnrichmentWorkflow = Workflow.make("fishcloud.EnrichmentWorkflow", {
  payload: { job_id: JobId, request: Schema.String },
  success: EnrichmentOutcome,
  idempotencyKey: ({ job_id, request }) => `enrich-${job_id}-${request}`
})
