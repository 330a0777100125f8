/**
 * Every metric fishcloud records (Effect `Metric`), exported over OTLP by `layers/telemetry/telemetry.ts` when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Counts are per process: after a restart they start again from zero.
 */
import { Effect, Metric } from "effect"

/** Status transitions that happened, by target status (`to`). */
const jobTransitions = Metric.counter("fishcloud.job.transitions", {
  description: "Job status transitions, by target status",
  incremental: true
})

/** Pods this process created minus those it terminated (an up/down counter), by provider and GPU. */
const livePods = Metric.counter("fishcloud.pods.live", {
  description: "Pods created minus pods terminated"
})

/** Pod seconds billed (requested to terminated), added when a pod is terminated. */
const podSecondsBilled = Metric.counter("fishcloud.pods.billed_seconds", {
  description: "Pod seconds billed, from request to termination",
  incremental: true
})

/** How long each lifecycle step took, in seconds, by `step` and `outcome`. */
const stepDuration = Metric.histogram("fishcloud.lifecycle.step_duration_seconds", {
  description: "Duration of each lifecycle step (activity)",
  boundaries: Metric.boundariesFromIterable([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600])
})

/** LLM tokens, by provider, model and direction (`input` / `output`). */
const llmTokens = Metric.counter("fishcloud.llm.tokens", {
  description: "LLM tokens used, by provider, model and direction",
  incremental: true
})

/** Alerts sent (`layers/alerts/webhook-alerts.ts`), by `kind` and `outcome`. */
const alertsSent = Metric.counter("fishcloud.alerts.sent", {
  description: "Alerts, by kind and outcome (delivered to the webhook, failed after every attempt, logged without a webhook)",
  incremental: true
})

export type AlertOutcome = "delivered" | "failed" | "logged"

export const countAlert = (kind: string, outcome: AlertOutcome) =>
  Metric.update(Metric.withAttributes(alertsSent, { kind, outcome }), 1)

export const countTransition = (to: string) => Metric.update(Metric.withAttributes(jobTransitions, { to }), 1)

export const countPodCreated = (pod: { readonly gpu_type: string }) =>
  Metric.update(Metric.withAttributes(livePods, { "pod.gpu_type": pod.gpu_type }), 1)

export const countPodTerminated = (pod: { readonly gpu_type: string | null; readonly seconds: number | null }) =>
  Effect.andThen(
    Metric.update(Metric.withAttributes(livePods, { "pod.gpu_type": pod.gpu_type ?? "unknown" }), -1),
    Metric.update(Metric.withAttributes(podSecondsBilled, { "pod.gpu_type": pod.gpu_type ?? "unknown" }), Math.max(0, pod.seconds ?? 0))
  )

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
    Metric.update(Metric.withAttributes(llmTokens, { provider: usage.provider, model: usage.model, direction: "input" }), usage.inputTokens),
    Metric.update(Metric.withAttributes(llmTokens, { provider: usage.provider, model: usage.model, direction: "output" }), usage.outputTokens)
  )

/** Pods the orphan-pod reaper terminated, by reason. */
const podsReaped = Metric.counter("fishcloud.maintenance.pods_reaped", {
  description: "Pods the orphan-pod reaper terminated, by reason",
  incremental: true
})

/** Jobs the stale-job detector failed, by the status they were stuck in. */
const jobsStale = Metric.counter("fishcloud.maintenance.jobs_failed_stale", {
  description: "Jobs failed by the stale-job detector, by status",
  incremental: true
})

/** Maintenance passes, by outcome (`ok`, `error`). */
const maintenanceRuns = Metric.counter("fishcloud.maintenance.runs", {
  description: "Maintenance passes, by outcome",
  incremental: true
})

export const countPodReaped = (reason: string) => Metric.update(Metric.withAttributes(podsReaped, { reason }), 1)

export const countJobStale = (status: string) => Metric.update(Metric.withAttributes(jobsStale, { status }), 1)

export const countMaintenanceRun = (outcome: "ok" | "error") =>
  Metric.update(Metric.withAttributes(maintenanceRuns, { outcome }), 1)
