/**
 * A job from PENDING to REPORTING, as one durable program. Each `yield*` of an activity is a persisted step: after
 * a crash, finished steps are not re-run and the step in flight is (so every activity is idempotent).
 *
 *   1. pre-GPU: enrichment (when asked) and market derivation, fail-soft; anything unexpected fails the job
 *      before a pod exists;
 *   2. GPU phase: provision (a total stock-out or a pod that never gets ready is provisioned anew, a few times,
 *      apart) -> health -> submit, then wait (suspended) while the process's run watcher polls the run, with one bad-host swap, one swap for a degraded pod
 *      (circuit breaker / slow pod), and up to two same-pod retries when the pod is unreachable. The release half
 *      of the acquire/release pair is `release-pods`, bound to the workflow's own scope: it runs exactly once when
 *      the workflow ends (success, failure, cancel) and not when a runner shuts down;
 *   3. finalize (artifacts checked in the object store), tear the pod down, start the report workflow.
 *
 * Anything unexpected (a defect, a database that stays away) fails the job `internal_error` instead of leaving it
 * live with no execution (`failJobOnUnexpected`).
 */
import { Cause, Effect, Exit, Option, Result } from "effect"
import { DurableClock, DurableDeferred, Workflow } from "effect/workflow"
import { isLive } from "../domain/status.ts"
import type { JobId } from "../domain/ids.ts"
import { failJobOnUnexpected, firstLine, markFailed } from "./activities/fail.ts"
import { fixDeadline } from "./activities/deadline.ts"
import { finalize } from "./activities/finalize.ts"
import { waitHealthy } from "./activities/health.ts"
import { loadJob } from "./activities/load.ts"
import { deriveMarkets, enrichSeed } from "./activities/prepare.ts"
import { provisionPod } from "./activities/provision.ts"
import { runSimulation } from "./activities/run.ts"
import { runName, type RunOutcome, runOutcome } from "./run-outcome.ts"
import { endReason, releasePods, terminatePodStep } from "./activities/terminate.ts"
import { scaled } from "../domain/time-scale.ts"
import { policies } from "./policies.ts"
import { ReportWorkflow, SimulationWorkflow } from "./workflows.ts"

export const SimulationWorkflowLive = SimulationWorkflow.toLayer(Effect.fn("SimulationWorkflow")(function*({ job_id }) {
  return yield* simulate(job_id).pipe(failJobOnUnexpected(job_id))
}, (effect, { job_id }) => Effect.annotateLogs(effect, "job_id", job_id)))

const simulate = Effect.fnUntraced(function*(jobId: JobId) {
  const loaded = yield* loadJob(jobId)
  if (loaded._tag === "None" || !isLive(loaded.value.status)) return "skipped" as const
  const job = loaded.value
  const fail = (message: string) => Effect.as(markFailed(jobId, message), "failed" as const)

  // 1. Pre-GPU: no pod exists yet, so a failure here needs no teardown.
  const prepared = yield* Effect.exit(Effect.gen(function*() {
    if (job.enrich_web) yield* enrichSeed(jobId, job.goal)
    yield* deriveMarkets(jobId, job.goal, job.tier)
  }))
  if (Exit.isFailure(prepared)) {
    if (Cause.hasInterrupts(prepared.cause)) return yield* Effect.interrupt
    if (Cause.findErrorOption(prepared.cause).pipe(Option.isSome)) return "cancelled" as const
    return yield* fail(`pre_gpu_failed: ${firstLine(prepared.cause)}`)
  }

  // 2. GPU phase.
  // Every run of the workflow (a run that suspended, then each replay) registers this; the engine runs the final run's
  // with the real exit, then the earlier runs' with a void success. The workflow never returns void: those have
  // nothing left to release (and must not try a pod again that the release already left to the reaper).
  yield* Workflow.addFinalizer((exit) => Exit.isSuccess(exit) && exit.value === undefined ? Effect.void : releasePods(jobId, endReason(exit)))
  const runJob = { id: jobId, tier: job.tier, goal: job.goal, forecast_days: job.forecast_days, routing: job.routing }
  let badHosts = 0
  let degradedSwaps = 0
  let provisionRetries = 0
  for (let attempt = 1; ; attempt++) {
    const readyBy = yield* fixDeadline(`ready-by-a${attempt}`, policies.readiness.timeout)
    const pod = yield* provisionPod(runJob, attempt, readyBy).pipe(Effect.result)
    if (pod._tag === "Failure") {
      if (pod.failure._tag === "JobStopped") return "cancelled" as const
      const passing = pod.failure.kind === "no_capacity" || pod.failure.kind === "not_ready"
      if (!passing || provisionRetries >= policies.provisionRetry.retries) return yield* fail(pod.failure.message)
      provisionRetries++
      yield* DurableClock.sleep({ name: `provision-retry-a${attempt}`, duration: yield* scaled(policies.provisionRetry.after) })
      continue
    }
    const healthyBy = yield* fixDeadline(`healthy-by-a${attempt}`, policies.health.timeout)
    const health = yield* waitHealthy(jobId, pod.success, attempt, healthyBy).pipe(Effect.result)
    if (health._tag === "Failure") return "cancelled" as const
    if (health.success._tag === "BadHost") {
      yield* terminatePodStep(jobId, pod.success.pod_id, attempt, "bad_host")
      if (++badHosts > policies.badHostSwaps) return yield* fail(`bad_host: ${health.success.message}`)
      continue
    }

    let outcome: RunOutcome
    for (let retry = 0; ; retry++) {
      const run = yield* runSimulation(runJob, pod.success, attempt, retry).pipe(Effect.result)
      if (run._tag === "Failure") return "cancelled" as const
      // Handed to the run watcher: suspended until it completes the run's wait (no fiber, no timer meanwhile).
      const ended = run.success._tag === "Watched"
        ? yield* DurableDeferred.await(runOutcome(runName(attempt, retry))).pipe(Effect.result)
        : Result.succeed(run.success)
      if (ended._tag === "Failure") return "cancelled" as const
      outcome = ended.success
      if (outcome._tag !== "RetrySamePod" || retry >= policies.unreachable.retries) break
      yield* DurableClock.sleep({ name: `unreachable-a${attempt}-r${retry}`, duration: yield* scaled(policies.unreachable.retryAfter) })
    }
    if (outcome._tag === "SwapPod" && degradedSwaps < policies.degradedPodSwaps) {
      degradedSwaps++
      yield* terminatePodStep(jobId, pod.success.pod_id, attempt, outcome.reason ?? "degraded")
      continue
    }
    if (outcome._tag !== "Completed") return yield* fail(outcome.message)

    // 3. Finalize, tear the pod down before the (possibly long) report, hand over to the report workflow.
    const finalized = yield* finalize(jobId).pipe(Effect.result)
    if (finalized._tag === "Failure") {
      return finalized.failure._tag === "JobStopped" ? "cancelled" as const : yield* fail(finalized.failure.message)
    }
    yield* terminatePodStep(jobId, pod.success.pod_id, attempt, "completed")
    yield* ReportWorkflow.execute({ job_id: jobId }, { discard: true, detached: true })
    return "reporting" as const
  }
})
