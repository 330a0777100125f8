/**
 * The orphan-pod reaper: every pod the provider runs under fishcloud's name prefix that no live job is using is
 * terminated, once it is older than a grace window (`policies.maintenance`). A live job's current pod is never
 * touched. It is the backstop for every way a pod can outlive its job: a terminate that failed, a runner that died
 * between create and record, a deleted job, a database restored from a backup.
 * One fishcloud database per provider account: another installation's pods carry the same prefix.
 */
import { Clock, Duration, Effect, Option } from "effect"
import { Alerts } from "../../../services/alerts.ts"
import { MaintenanceStore, type PodRecord } from "../../../services/maintenance-store.ts"
import { type Pod, PodProvider } from "../../../services/pod-provider.ts"
import type { JobId } from "../../domain/ids.ts"
import { jobIdOfPodName, podNamePrefix } from "../../domain/pods.ts"
import { isTerminal } from "../../domain/status.ts"
import { backoff, scaled } from "../../domain/time-scale.ts"
import { countPodReaped } from "../../metrics.ts"
import { policies } from "../policies.ts"

/** Why a pod is reaped. */
export type ReapReason = "no_record" | "job_deleted" | "job_terminal" | "terminate_failed" | "still_running_after_terminate" | "superseded"

/**
 * Whether to reap a pod given its record: a reason, or none (a live job's current pod, or too young). Pure.
 * `grace` applies to pods of live jobs, `graceTerminal` to the rest.
 */
export const reapReason = (
  record: Option.Option<PodRecord>,
  now: number,
  grace: { readonly live: number; readonly terminal: number }
): Option.Option<ReapReason> => {
  // The row is written before the provider is asked, so a pod without one was never this database's.
  if (Option.isNone(record)) return Option.some("no_record")
  const pod = record.value
  const old = (seconds: number, since: number) => now - since >= seconds * 1000
  const reason: ReapReason | undefined = pod.terminated
    ? "still_running_after_terminate"
    : pod.termination_reason?.startsWith("terminate_failed") === true
    ? "terminate_failed"
    : Option.isNone(pod.job_status)
    ? "job_deleted"
    : isTerminal(pod.job_status.value)
    ? "job_terminal"
    : pod.current
    ? undefined
    : "superseded"
  if (reason === undefined) return Option.none()
  const ready = reason === "superseded" ? old(grace.live, pod.requested_at) : old(grace.terminal, pod.settled_at)
  return ready ? Option.some(reason) : Option.none()
}

interface ReapedPod {
  readonly pod_id: string
  readonly name: string
  readonly job_id: JobId | null
  readonly reason: ReapReason
}

export interface ReaperReport {
  /** Pods the provider listed under the prefix. */
  readonly examined: number
  readonly reaped: ReadonlyArray<ReapedPod>
  /** Pods the reaper wanted gone but the provider refused to terminate. */
  readonly failed: ReadonlyArray<{ readonly pod_id: string; readonly error: string }>
}

export const reapOrphanPods = Effect.fn("Maintenance.reapOrphanPods")(function*() {
  const provider = yield* PodProvider
  const store = yield* MaintenanceStore
  const alerts = yield* Alerts
  const grace = {
    live: Duration.toSeconds(yield* scaled(policies.maintenance.reaperGrace)),
    terminal: Duration.toSeconds(yield* scaled(policies.maintenance.reaperGraceTerminal))
  }
  const schedule = yield* backoff(policies.terminateRetry)
  const pods = yield* provider.listByPrefix(podNamePrefix)
  const reaped: Array<ReapedPod> = []
  const failed: Array<{ pod_id: string; error: string }> = []
  for (const pod of pods) {
    const record = yield* store.podRecord(provider.name, pod)
    const reason = reapReason(record, yield* Clock.currentTimeMillis, grace)
    if (Option.isNone(reason)) continue
    // The list may be stale by now: a pod a job's teardown has just ended is not terminated a second time. A
    // stopped pod (its container exited) still exists, and is billed, until it is terminated.
    const still = yield* provider.get(pod.id).pipe(Effect.orElseSucceed(() => Option.some(pod)))
    if (Option.isNone(still) || still.value.state === "terminated") continue
    const jobId = Option.match(record, { onNone: () => jobIdOfPodName(pod.name), onSome: (row) => row.job_id }) ?? null
    const terminated = yield* provider.terminate(pod.id).pipe(
      Effect.retry({ schedule, while: (error) => error.reason !== "invalid" }),
      Effect.result
    )
    if (terminated._tag === "Failure") {
      yield* Effect.logError(`reaper: pod ${pod.id} (${pod.name}) could not be terminated`, terminated.failure)
      yield* alerts.send({ _tag: "terminate_failed", pod_id: pod.id, job_id: jobId, error: terminated.failure.message })
      failed.push({ pod_id: pod.id, error: terminated.failure.message })
      continue
    }
    yield* reapedPod(provider.name, pod, jobId, reason.value)
    reaped.push({ pod_id: pod.id, name: pod.name, job_id: jobId, reason: reason.value })
  }
  const report: ReaperReport = { examined: pods.length, reaped, failed }
  yield* Effect.logInfo(`reaper: ${pods.length} pods examined, ${reaped.length} reaped, ${failed.length} could not be terminated`)
  return report
})

const reapedPod = Effect.fnUntraced(function*(provider: string, pod: Pod, jobId: JobId | null, reason: ReapReason) {
  const store = yield* MaintenanceStore
  yield* store.recordReaped(provider, pod, jobId ?? undefined, reason)
  yield* countPodReaped(reason)
  yield* Effect.logWarning(`reaper: terminated pod ${pod.id} (${pod.name}${jobId === null ? "" : ` of job ${jobId}`}): ${reason}`)
  yield* Alerts.use((alerts) => alerts.send({ _tag: "pod_reaped", pod_id: pod.id, pod_name: pod.name, provider, job_id: jobId, reason }))
})
