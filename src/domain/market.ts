import { Schema } from "effect"

/** A binary prediction market the simulated agents trade on. */
export const Market = Schema.Struct({
  id: Schema.String,
  question: Schema.String.check(Schema.isBetweenLength(1, 200)),
  initial_price_yes: Schema.Number.check(Schema.isBetween({ minimum: 0.05, maximum: 0.95 })),
  rationale: Schema.String
})
export type Market = typeof Market.Type

/** Markets per tier (at most this many). */
export const marketCapByTier = { small: 3, medium: 4, large: 5 } as const
