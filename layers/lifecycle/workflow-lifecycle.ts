/**
 * `JobLifecycle` on the durable workflow engine: starting a job is executing its SimulationWorkflow (keyed by the
 * job id, so a repeated start joins the same execution), inside the caller's transaction; cancelling interrupts
 * both workflows of the job.
 */
import { Effect, Layer } from "effect"
import { WorkflowEngine } from "effect/workflow"
import { JobLifecycle, LifecycleError } from "../../services/job-lifecycle.ts"
import { ReportWorkflow, SimulationWorkflow } from "../../src/lifecycle/workflows.ts"

export const WorkflowLifecycle = Layer.effect(
  JobLifecycle,
  Effect.gen(function*() {
    const engine = yield* WorkflowEngine.WorkflowEngine
    const withEngine = Effect.provideService(WorkflowEngine.WorkflowEngine, engine)
    return JobLifecycle.of({
      start: (jobId) =>
        SimulationWorkflow.execute({ job_id: jobId }, { discard: true }).pipe(
          withEngine,
          Effect.asVoid,
          Effect.catchCause((cause) => Effect.fail(new LifecycleError({ job_id: jobId, message: String(cause) }))),
          Effect.withSpan("JobLifecycle.start", { attributes: { "job.id": jobId } })
        ),
      cancel: (jobId) =>
        Effect.gen(function*() {
          const simulation = yield* SimulationWorkflow.executionId({ job_id: jobId })
          const report = yield* ReportWorkflow.executionId({ job_id: jobId })
          yield* SimulationWorkflow.interrupt(simulation)
          yield* ReportWorkflow.interrupt(report)
        }).pipe(withEngine, Effect.withSpan("JobLifecycle.cancel", { attributes: { "job.id": jobId } }))
    })
  })
)
