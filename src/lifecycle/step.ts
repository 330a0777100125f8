/**
 * One lifecycle step (an activity's body, a pod termination): a `Lifecycle.<name>` span, and its duration recorded
 * in the step-duration histogram by the step itself, so the metric exists with or without trace export and does
 * not depend on span names.
 */
import { Clock, Effect, Exit } from "effect"
import { recordStepDuration, type StepOutcome } from "../metrics.ts"

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): StepOutcome =>
  Exit.isSuccess(exit) ? "ok" : Exit.hasInterrupts(exit) ? "interrupted" : "error"

/** Runs `effect` as the step `name` (span `Lifecycle.<name>` with `attributes`), timing it on the Clock. */
export const step = (name: string, attributes: Record<string, unknown>) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    return yield* effect.pipe(Effect.onExit((exit) =>
      Effect.flatMap(Clock.currentTimeMillis, (ended) =>
        recordStepDuration(`Lifecycle.${name}`, outcomeOf(exit), (ended - started) / 1000))
    ))
  }).pipe(Effect.withSpan(`Lifecycle.${name}`, { attributes }))
