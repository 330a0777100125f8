/**
 * Every metric fishcloud records (Effect `Metric`), exported over OTLP by `layers/telemetry/telemetry.ts` when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Counts are per process: after a restart they start again from zero.
 */
import { Effect, Metric } from "effect"

/** A counter and the one way it is counted: `add(attributes, amount)`. `incremental` unless it also goes down. */
const counter = (name: string, description: string, options: { readonly upDown?: boolean } = {}) => {
  const metric = Metric.counter(name, { description, incremental: options.upDown !== true })
  return (attributes: Record<string, string>, amount = 1) => Metric.update(Metric.withAttributes(metric, attributes), amount)
}

/** Status transitions that happened, by target status (`to`). */
const jobTransitions = counter("fishcloud.job.transitions", "Job status transitions, by target status")

/** Pods this process created minus those it terminated (an up/down counter), by GPU. */
const livePods = counter("fishcloud.pods.live", "Pods created minus pods terminated", { upDown: true })

/** Pod seconds billed (requested to terminated), added when a pod is terminated. */
const podSecondsBilled = counter("fishcloud.pods.billed_seconds", "Pod seconds billed, from request to termination")

/** How long each lifecycle step took, in seconds, by `step` and `outcome`. */
const stepDuration = Metric.histogram("fishcloud.lifecycle.step_duration_seconds", {
  description: "Duration of each lifecycle step (activity)",
  boundaries: Metric.boundariesFromIterable([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600])
})

/** LLM tokens, by provider, model and direction (`input` / `output`). */
const llmTokens = counter("fishcloud.llm.tokens", "LLM tokens used, by provider, model and direction")

/** Alerts sent (`layers/alerts/webhook-alerts.ts`), by `kind` and `outcome`. */
const alertsSent = counter(
  "fishcloud.alerts.sent",
  "Alerts, by kind and outcome (delivered to the webhook, failed after every attempt, logged without a webhook)"
)

/** Pods the orphan-pod reaper terminated, by reason. */
const podsReaped = counter("fishcloud.maintenance.pods_reaped", "Pods the orphan-pod reaper terminated, by reason")

/** Jobs the stale-job detector failed, by the status they were stuck in. */
const jobsStale = counter("fishcloud.maintenance.jobs_failed_stale", "Jobs failed by the stale-job detector, by status")

/** Maintenance passes, by outcome (`ok`, `error`). */
const maintenanceRuns = counter("fishcloud.maintenance.runs", "Maintenance passes, by outcome")

export type AlertOutcome = "delivered" | "failed" | "logged"

export const countAlert = (kind: string, outcome: AlertOutcome) => alertsSent({ kind, outcome })

export const countTransition = (to: string) => jobTransitions({ to })

export const countPodCreated = (pod: { readonly gpu_type: string }) => livePods({ "pod.gpu_type": pod.gpu_type })

export const countPodTerminated = (pod: { readonly gpu_type: string | null; readonly seconds: number | null }) =>
  Effect.andThen(
    livePods({ "pod.gpu_type": pod.gpu_type ?? "unknown" }, -1),
    podSecondsBilled({ "pod.gpu_type": pod.gpu_type ?? "unknown" }, Math.max(0, pod.seconds ?? 0))
  )

/** Jobs starting (PENDING or PROVISIONING, every owner) when a create last counted them: the admission queue's depth. */
const queuedJobs = Metric.gauge("fishcloud.jobs.queued", {
  description: "Jobs starting (PENDING or PROVISIONING), as last counted by admission"
})

/** Creates, retries and launches refused because too many jobs are starting (MAX_QUEUED_JOBS). */
const admissionsRefused = counter("fishcloud.admission.refused", "Job admissions refused because too many jobs are starting")

/** Pod creates and terminates waiting for one of the process's slots (`policies.providerCalls`). */
const providerCallsWaiting = counter("fishcloud.pods.provider_calls_waiting", "Pod creates and terminates waiting for a slot", { upDown: true })

export const countProviderCallsWaiting = (delta: 1 | -1) => providerCallsWaiting({}, delta)

export const recordQueuedJobs = (count: number) => Metric.update(queuedJobs, count)

export const countAdmissionRefused = () => admissionsRefused({})

/** How a lifecycle step ended: `interrupted` is a cancel or a runner handing the workflow over. */
export type StepOutcome = "ok" | "error" | "interrupted"

export const recordStepDuration = (step: string, outcome: StepOutcome, seconds: number) =>
  Metric.update(Metric.withAttributes(stepDuration, { step, outcome }), seconds)

export const countLlmTokens = (usage: {
  readonly provider: string
  readonly model: string
  readonly inputTokens: number
  readonly outputTokens: number
}) =>
  Effect.andThen(
    llmTokens({ provider: usage.provider, model: usage.model, direction: "input" }, usage.inputTokens),
    llmTokens({ provider: usage.provider, model: usage.model, direction: "output" }, usage.outputTokens)
  )

export const countPodReaped = (reason: string) => podsReaped({ reason })

export const countJobStale = (status: string) => jobsStale({ status })

export const countMaintenanceRun = (outcome: "ok" | "error") => maintenanceRuns({ outcome })
