/**
 * `JobLifecycle` on the durable workflow engine: starting a job is executing its SimulationWorkflow (keyed by the
 * job id, so a repeated start joins the same execution), inside the caller's transaction; cancelling is the guarded
 * move to CANCELLED followed by interrupting both workflows of the job, in that order, so nothing the execution
 * still writes can revive the job.
 */
import * as Crypto from "node:crypto"
import { Effect, Layer } from "effect"
import { WorkflowEngine } from "effect/workflow"
import { JobJournal } from "../../services/job-journal.ts"
import { JobLifecycle, LifecycleError } from "../../services/job-lifecycle.ts"
import { jobCancelled } from "./job-log.ts"
import { EnrichmentWorkflow, ReportWorkflow, SimulationWorkflow } from "./workflows.ts"

export const JobLifecycleLive = Layer.effect(
  JobLifecycle,
  Effect.gen(function*() {
    const engine = yield* WorkflowEngine.WorkflowEngine
    const journal = yield* JobJournal
    const withEngine = Effect.provideService(WorkflowEngine.WorkflowEngine, engine)
    return JobLifecycle.of({
      start: (jobId) =>
        SimulationWorkflow.execute({ job_id: jobId }, { discard: true }).pipe(
          withEngine,
          Effect.asVoid,
          Effect.catchCause((cause) => Effect.fail(new LifecycleError({ job_id: jobId, message: String(cause) }))),
          Effect.withSpan("JobLifecycle.start", { attributes: { "job.id": jobId } })
        ),
      cancel: (jobId, reason) =>
        Effect.gen(function*() {
          const cancelled = yield* journal.transition(jobId, "CANCELLED", { reason })
          if (!cancelled) return false
          yield* jobCancelled(jobId, reason)
          yield* Effect.gen(function*() {
            yield* SimulationWorkflow.interrupt(yield* SimulationWorkflow.executionId({ job_id: jobId }))
            yield* ReportWorkflow.interrupt(yield* ReportWorkflow.executionId({ job_id: jobId }))
          }).pipe(
            withEngine,
            Effect.catchCause((cause) =>
              Effect.fail(new LifecycleError({ job_id: jobId, message: `the job is cancelled but its execution did not stop: ${String(cause)}` }))
            )
          )
          return true
        }).pipe(
          Effect.withSpan("JobLifecycle.cancel", { attributes: { "job.id": jobId } })
        ),
      enrichAgain: (jobId) =>
        Effect.gen(function*() {
          yield* journal.appendEvent(jobId, { kind: "enrichment", data: { event: "requested" } })
          const request = yield* Effect.sync(() => Crypto.randomUUID())
          yield* EnrichmentWorkflow.execute({ job_id: jobId, request }, { discard: true }).pipe(withEngine)
        }).pipe(
          Effect.catchCause((cause) => Effect.fail(new LifecycleError({ job_id: jobId, message: String(cause) }))),
          Effect.withSpan("JobLifecycle.enrichAgain", { attributes: { "job.id": jobId } })
        )
    })
  })
)
