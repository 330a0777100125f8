/**
 * What the lifecycle remembers of a pod's run between polls: since when the pod runs the job (the tier's timeout
 * counts from there) and its round samples (the slow-pod rate is measured over them). Kept with the pod's row, so a
 * polling step run again (after a crash, a runner handover or a same-pod retry) measures on from where the last one
 * stopped instead of starting over; under repeated handovers a slow pod would otherwise never be found slow.
 */
import { Schema } from "effect"

export const PodProgress = Schema.Struct({
  /** When polling this pod's run began, epoch ms. */
  startedAtMs: Schema.Number,
  /** The highest round seen, 0 before any. */
  maxRound: Schema.Int,
  /** Recent new maxima (the slow-pod window), oldest first. */
  rounds: Schema.Array(Schema.Struct({ atMs: Schema.Number, round: Schema.Int }))
})
export type PodProgress = typeof PodProgress.Type
