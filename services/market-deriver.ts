/** Market derivation: the binary prediction markets a job's simulation trades (xAI, or the offline stand-in). */
import { Context, type Effect } from "effect"
import type { Market } from "../src/domain/market.ts"
import type { Tier } from "../src/domain/tier.ts"
import type { LlmError } from "./llm-error.ts"

export class MarketDeriver extends Context.Service<MarketDeriver, {
  /** Up to the tier's cap of binary markets for the goal; none when the goal gives no yes/no question. */
  readonly derive: (
    input: { readonly goal: string; readonly seedText: string; readonly tier: Tier }
  ) => Effect.Effect<ReadonlyArray<Market>, LlmError>
}>()("fishcloud/services/MarketDeriver") {}
