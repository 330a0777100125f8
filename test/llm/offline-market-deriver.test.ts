import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { OfflineMarketDeriverLive } from "../../layers/llm/offline/offline-market-deriver.ts"
import { MarketDeriver } from "../../services/market-deriver.ts"
import { Market } from "../../src/domain/market.ts"
import { isYesNoQuestion } from "../../layers/llm/markets/market-question.ts"

const derive = (goal: string) =>
  Effect.gen(function*() {
    const deriver = yield* MarketDeriver
    return yield* deriver.derive({ goal, seedText: "a seed document", tier: "small" })
  }).pipe(Effect.provide(OfflineMarketDeriverLive))

describe("offline market deriver", () => {
  it.effect("a yes/no goal becomes the one market, at even odds", () =>
    Effect.gen(function*() {
      const markets = yield* derive("  Will the ECB cut rates before July 2027?  ")
      assert.lengthOf(markets, 1)
      const [market] = markets
      assert.strictEqual(market!.id, "m1")
      assert.strictEqual(market!.question, "Will the ECB cut rates before July 2027?")
      assert.strictEqual(market!.initial_price_yes, 0.5)
      assert.include(market!.rationale, "goal itself")
      assert.isTrue(Schema.is(Market)(market))
    }))

  it.effect("an open goal gives no market", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* derive("Forecast the price of Brent crude over the next quarter"), [])
      assert.deepStrictEqual(yield* derive("What will happen?"), [])
      assert.deepStrictEqual(yield* derive("Will the ECB cut rates"), [])
      assert.deepStrictEqual(yield* derive(""), [])
    }))

  it.effect("a long question is cut at a word boundary to at most 200 characters and keeps its question mark", () =>
    Effect.gen(function*() {
      const goal = `Will ${Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ")} happen?`
      assert.isAbove(goal.length, 200)
      const [market] = yield* derive(goal)
      const question = market!.question
      assert.isAtMost(question.length, 200)
      assert.isTrue(question.endsWith("?"))
      assert.isTrue(goal.startsWith(question.slice(0, -1)))
      // The cut falls between words: what precedes the "?" is a whole word of the goal.
      assert.match(question, /word\d+\?$/)
      assert.include(goal, `${question.slice(0, -1)} `)
      assert.isTrue(Schema.is(Market)(market))
    }))

  it.effect("a multi-line question becomes one line", () =>
    Effect.gen(function*() {
      const [market] = yield* derive("Will the\nbill pass\tthe Senate?")
      assert.strictEqual(market!.question, "Will the bill pass the Senate?")
    }))
})

describe("isYesNoQuestion", () => {
  it("accepts questions opened by an auxiliary or modal verb, in any case", () => {
    for (
      const goal of [
        "Will X happen?",
        "is the merger approved?",
        "ARE rates going up?",
        "Does the bill pass?",
        "Do voters back it?",
        "Did sales beat forecasts?",
        "Can the team ship by May?",
        "Could prices double?",
        "Should the Fed hike?",
        "Would a strike start?",
        "Has the treaty been signed?",
        "Have talks collapsed?",
        "Was the vote fair?",
        "Were targets met?",
        "Won't the deal close?",
        "Isn’t inflation falling?",
        "Will BTC close at $100k or higher?",
        "Will it rain or not?"
      ]
    ) assert.isTrue(isYesNoQuestion(goal), goal)
  })

  it("rejects statements, open questions, several questions and choices between alternatives", () => {
    for (
      const goal of [
        "Forecast the price of X",
        "Will X happen",
        "What will happen?",
        "Who wins the election?",
        "How high will rates go?",
        "Willow trees: do they survive?",
        "Will?",
        "Will X happen? What then?",
        "Will Alice or Bob win the election?",
        "Is it a recession or a slowdown?"
      ]
    ) assert.isFalse(isYesNoQuestion(goal), goal)
  })
})
