/** Where agents' decisions come from: the seeded offline policy or an LLM with tool calling. */
import { Data, type Effect } from "effect"
import type { Decision, Observation } from "./world.ts"

/** A policy could not decide (the LLM backend failed past its retries, or refused the request). */
export class PolicyError extends Data.TaggedError("PolicyError")<{ readonly message: string }> {}

export interface Policy {
  readonly kind: "offline" | "llm"
  /** One decision per observation, in the same order. */
  readonly decideRound: (observations: ReadonlyArray<Observation>) => Effect.Effect<ReadonlyArray<Decision>, PolicyError>
}
