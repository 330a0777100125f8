/**
 * The `MarketDeriver` without an LLM: the goal becomes the one market when it is itself a yes/no question
 * (`isYesNoQuestion` in `markets/market-question.ts` holds the rule), otherwise there are no markets. Inventing a
 * market from an open goal would give agents nothing meaningful to trade.
 */
import { Effect, Layer } from "effect"
import { MarketDeriver } from "../../../services/market-deriver.ts"
import type { Market } from "../../../src/domain/market.ts"
import { isYesNoQuestion, marketQuestionFromGoal } from "../markets/market-question.ts"

const derive = Effect.fn("OfflineMarketDeriver.derive")(function*(input: { readonly goal: string }) {
  if (!isYesNoQuestion(input.goal)) {
    yield* Effect.logDebug("offline market derivation: the goal is not a yes/no question, so no markets")
    return []
  }
  const market: Market = {
    id: "m1",
    question: marketQuestionFromGoal(input.goal),
    // No evidence either way offline: start at even odds and let the agents move the price.
    initial_price_yes: 0.5,
    rationale: "The goal itself is a yes/no question; offline derivation (no LLM) uses it as the only market."
  }
  yield* Effect.logDebug("offline market derivation: the goal is a yes/no question, one market")
  return [market]
})

export const OfflineMarketDeriverLive = Layer.succeed(MarketDeriver, MarketDeriver.of({ derive }))
