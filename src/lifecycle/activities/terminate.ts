/**
 * Terminating pods: exactly once per pod (the `pods` row records it), retried on transient provider errors;
 * a pod the provider no longer knows counts as terminated. A pod the provider still refuses to terminate after
 * every retry is recorded `terminate_failed` (its row stays live for the orphan-pod reaper) and the job goes on:
 * a stuck teardown must not keep the job from ending.
 */
import { Cause, Effect, Exit, Option } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { Alerts } from "../../../services/alerts.ts"
import { PodProvider } from "../../../services/pod-provider.ts"
import type { JobId } from "../../domain/ids.ts"
import { backoff } from "../../domain/time-scale.ts"
import { retryWhileDatabaseAway } from "../database-away.ts"
import { policies } from "../policies.ts"
import { JobJournal } from "../../../services/job-journal.ts"
import { podTerminated, podTerminateFailed } from "../job-log.ts"

/** Asks the provider to terminate `podId`, then records it; safe to repeat. */
export const terminatePod = (jobId: JobId, podId: string, reason: string) =>
  Effect.gen(function*() {
    const provider = yield* PodProvider
    const schedule = yield* backoff(policies.terminateRetry)
    const journal = yield* JobJournal
    // A step re-run after a crash finds the row already closed: the provider is not asked a second time.
    const row = (yield* journal.livePods(jobId)).find((pod) => pod.pod_id === podId)
    if (row === undefined) return
    const recordTerminated = retryWhileDatabaseAway(journal.recordPodTerminated(jobId, podId, reason)).pipe(
      Effect.tap((recorded) => recorded ? podTerminated(jobId, row.name, reason) : Effect.void)
    )
    // A step run again after the provider ended the pod but before the row said so (a crash, a handover, a database
    // outage) finds it terminated: it is recorded without asking the provider a second time.
    const gone = yield* provider.get(podId).pipe(
      Effect.map((pod) => Option.isNone(pod) || pod.value.state === "terminated"),
      Effect.orElseSucceed(() => false)
    )
    if (gone) {
      yield* recordTerminated
      return
    }
    const terminated = yield* provider.terminate(podId).pipe(
      Effect.retry({ schedule, while: (error) => error.reason !== "invalid" }),
      Effect.result
    )
    // From here the provider has answered: the record waits out a database outage itself, because the step run
    // again would ask the provider a second time (its row still live).
    if (terminated._tag === "Failure") {
      yield* podTerminateFailed(jobId, row.name, reason, terminated.failure)
      yield* retryWhileDatabaseAway(journal.recordPodTerminateFailed(jobId, podId, reason, terminated.failure.message))
      yield* Alerts.use((alerts) => alerts.send({ _tag: "terminate_failed", pod_id: podId, job_id: jobId, error: terminated.failure.message }))
      return
    }
    yield* recordTerminated
  }).pipe( step("terminatePod", { "job.id": jobId, "pod.id": podId, reason }))

/** Tears down one pod as a step of the workflow (a swap, or the end of the GPU phase). */
export const terminatePodStep = (jobId: JobId, podId: string, attempt: number, reason: string) =>
  activity({
    name: `terminate-pod-a${attempt}`,
    execute: terminatePod(jobId, podId, reason)
  })

/** Why the workflow ended (its exit, or the outcome it returned), for the pods' termination reason. */
export const endReason = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isFailure(exit)) return Exit.hasInterrupts(exit) ? "cancelled" : "job_failed"
  return exit.value === "failed" ? "job_failed" : exit.value === "cancelled" ? "cancelled" : "job_finished"
}

/**
 * The release half of the GPU phase, bound to the workflow's own scope (`Workflow.addFinalizer`): it terminates
 * every pod of the job that is still up. It runs when the workflow ends (success, failure, cancel) and not when a
 * runner shuts down or hands the workflow over. It is a plain effect rather than an activity because an
 * interrupted (cancelled) workflow runs no more activities. Should it run twice, the `pods` table makes every
 * termination happen once.
 */
export const releasePods = (jobId: JobId, reason: string) =>
  Effect.gen(function*() {
    const journal = yield* JobJournal
    const pods = yield* journal.livePods(jobId)
    for (const pod of pods) {
      if (pod.pod_id === null) yield* journal.recordPodAbandoned(jobId, pod.name, reason)
      else yield* terminatePod(jobId, pod.pod_id, reason)
    }
    yield* journal.recordFinalCost(jobId)
  }).pipe(
    step("releasePods", { "job.id": jobId, reason }),
    // A finalizer that fails cannot fail the job any more (its outcome is decided); the pods it could not reach are
    // the orphan-pod reaper's.
    Effect.catchCause((cause) =>
      Cause.hasInterrupts(cause)
        ? Effect.failCause(cause)
        : Effect.logError("releasing the job's pods failed; left for the orphan-pod reaper", cause))
  )
