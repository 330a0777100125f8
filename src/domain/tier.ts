import { Schema } from "effect"

/** Simulation size; each tier has a `model_routing` row (model, GPU, rounds, agents). */
export const Tier = Schema.Literals(["small", "medium", "large"])
export type Tier = typeof Tier.Type
