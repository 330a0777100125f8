/**
 * How a run of the simulation on one pod ended, as the workflow receives it (`simulation-workflow.ts`), and the
 * durable wait that carries it from the run watcher (`run-watcher.ts`) to the workflow. Journaled: change compatibly.
 */
import { Schema } from "effect"
import { DurableDeferred } from "effect/workflow"
import { JobStopped } from "./activities/stop.ts"
import { markers, recoveryOf, type Verdict } from "./poll-signals.ts"

export const RunOutcome = Schema.Union([
  Schema.TaggedStruct("Completed", {}),
  /** `pod_unreachable`: wait, then poll the same pod again. */
  Schema.TaggedStruct("RetrySamePod", { message: Schema.String }),
  /** `llm_circuit_broken` / `slow_pod`: replace the pod; the reason becomes the old pod's termination reason. */
  Schema.TaggedStruct("SwapPod", {
    // Optional only for results journaled before the reason was recorded; those swaps say "degraded".
    reason: Schema.optionalKey(Schema.Literals([markers.circuitBroken, markers.slowPod])),
    message: Schema.String
  }),
  Schema.TaggedStruct("Failed", { message: Schema.String })
])
export type RunOutcome = typeof RunOutcome.Type

/** The name of the wait for the outcome of run `retry` on the pod of attempt `attempt`; one per run, journaled. */
export const runName = (attempt: number, retry: number) => `run-outcome-a${attempt}-r${retry}`

/** What the workflow waits on while the watcher polls the run: its outcome, or `JobStopped` for a job stopped from outside. */
export const runOutcome = (name: string) => DurableDeferred.make(name, { success: RunOutcome, error: JobStopped })

/** The outcome a poll verdict asks for (`recoveryOf` decides which recovery it is). */
export const outcomeOf = (verdict: Verdict): RunOutcome => {
  switch (recoveryOf(verdict)) {
    case "retry-same-pod":
      return { _tag: "RetrySamePod", message: verdict.message }
    case "swap-pod":
      return { _tag: "SwapPod", reason: verdict._tag === "CircuitBroken" ? markers.circuitBroken : markers.slowPod, message: verdict.message }
    case "fail":
      return { _tag: "Failed", message: verdict.message }
  }
}
