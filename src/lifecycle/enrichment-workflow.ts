/** Enrich-retry's workflow: one step (`activities/enrich-again.ts`), durable so a restart does not lose the request. */
import { Effect } from "effect"
import { enrichAgain } from "./activities/enrich-again.ts"
import { EnrichmentWorkflow } from "./workflows.ts"

export const EnrichmentWorkflowLive = EnrichmentWorkflow.toLayer(
  Effect.fn("EnrichmentWorkflow")(function*({ job_id }) {
    return yield* enrichAgain(job_id)
  }, (effect, { job_id }) => Effect.annotateLogs(effect, "job_id", job_id))
)
