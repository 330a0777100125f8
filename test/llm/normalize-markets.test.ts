import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { Market } from "../../src/domain/market.ts"
import { normalizeMarkets } from "../../layers/llm/markets/normalize-markets.ts"

const entry = (question: unknown, initial_price_yes: unknown = 0.5, rationale: unknown = "why") => ({
  question,
  initial_price_yes,
  rationale
})

const questions = (entries: unknown, tier: "small" | "medium" | "large" = "large") =>
  normalizeMarkets(entries, tier).map((m) => m.question)

describe("normalizeMarkets", () => {
  it("keeps valid proposals in order, numbered m1, m2, ..., and each one is a valid Market", () => {
    const markets = normalizeMarkets([
      entry("Will the ECB cut rates in June?", 0.62, "guidance points to it"),
      entry("Will inflation fall below 2%?", 0.3, "sticky services")
    ], "small")
    assert.deepStrictEqual(markets, [
      { id: "m1", question: "Will the ECB cut rates in June?", initial_price_yes: 0.62, rationale: "guidance points to it" },
      { id: "m2", question: "Will inflation fall below 2%?", initial_price_yes: 0.3, rationale: "sticky services" }
    ])
    for (const m of markets) assert.isTrue(Schema.is(Market)(m))
  })

  it("drops entries that are not objects", () => {
    assert.deepStrictEqual(questions([null, 3, "Will it rain?", ["Will it rain?"], true, entry("Will it snow?")]), [
      "Will it snow?"
    ])
  })

  it("drops questions that are not strings, blank, or longer than 200 characters", () => {
    const atLimit = `Will ${"x".repeat(194)}?`
    assert.strictEqual(atLimit.length, 200)
    assert.deepStrictEqual(
      questions([
        entry(42),
        entry(null),
        { initial_price_yes: 0.4 },
        entry(""),
        entry("   \n "),
        entry(`${atLimit}!`),
        entry(atLimit)
      ]),
      [atLimit]
    )
  })

  it("trims surrounding whitespace before checking length and duplicates", () => {
    const padded = `  Will ${"y".repeat(194)}?  `
    assert.deepStrictEqual(questions([entry(padded), entry("Will it rain?"), entry(" will IT rain? ")]), [
      padded.trim(),
      "Will it rain?"
    ])
  })

  it("drops a question that repeats an earlier one ignoring case, keeping the first", () => {
    const markets = normalizeMarkets([
      entry("Will BTC reach $100k?", 0.4, "first"),
      entry("WILL btc REACH $100K?", 0.9, "second"),
      entry("Will ETH flip BTC?", 0.1, "third")
    ], "large")
    assert.deepStrictEqual(markets.map((m) => [m.id, m.question, m.rationale]), [
      ["m1", "Will BTC reach $100k?", "first"],
      ["m2", "Will ETH flip BTC?", "third"]
    ])
  })

  it("clamps prices to [0.05, 0.95]", () => {
    const prices = normalizeMarkets(
      [entry("Q1?", 0), entry("Q2?", -3), entry("Q3?", 1), entry("Q4?", 0.05), entry("Q5?", 0.95)],
      "large"
    ).map((m) => m.initial_price_yes)
    assert.deepStrictEqual(prices, [0.05, 0.05, 0.95, 0.05, 0.95])
  })

  it("coerces numeric strings and uses 0.5 for anything that is not a number", () => {
    const prices = normalizeMarkets(
      [
        entry("Q1?", "0.7"),
        entry("Q2?", " 0.25 "),
        entry("Q3?", "2"),
        entry("Q4?", "abc"),
        entry("Q5?", "")
      ],
      "large"
    ).map((m) => m.initial_price_yes)
    assert.deepStrictEqual(prices, [0.7, 0.25, 0.95, 0.5, 0.5])
    const odd = normalizeMarkets(
      [{ question: "Q1?" }, entry("Q2?", null), entry("Q3?", true), entry("Q4?", { p: 1 }), entry("Q5?", Number.NaN)],
      "large"
    )
    assert.deepStrictEqual(odd.map((m) => m.initial_price_yes), [0.5, 0.5, 0.5, 0.5, 0.5])
  })

  it("uses an empty rationale when it is missing or not a string", () => {
    const markets = normalizeMarkets([entry("Q1?", 0.5, 7), entry("Q2?", 0.5, null), { question: "Q3?" }], "large")
    assert.deepStrictEqual(markets.map((m) => m.rationale), ["", "", ""])
  })

  it("caps the list by tier: small 3, medium 4, large 5", () => {
    const many = Array.from({ length: 8 }, (_, i) => entry(`Will event ${i + 1} happen?`))
    assert.lengthOf(normalizeMarkets(many, "small"), 3)
    assert.lengthOf(normalizeMarkets(many, "medium"), 4)
    const large = normalizeMarkets(many, "large")
    assert.deepStrictEqual(large.map((m) => m.id), ["m1", "m2", "m3", "m4", "m5"])
  })

  it("counts the cap after dropping, so invalid entries do not use up a slot", () => {
    const markets = normalizeMarkets(
      [null, entry(""), entry("Will A?"), entry("will a?"), entry("Will B?"), entry(5), entry("Will C?"), entry("Will D?")],
      "small"
    )
    assert.deepStrictEqual(markets.map((m) => `${m.id}:${m.question}`), ["m1:Will A?", "m2:Will B?", "m3:Will C?"])
  })

  it("gives no markets for input that is not a list", () => {
    assert.deepStrictEqual(normalizeMarkets(undefined, "large"), [])
    assert.deepStrictEqual(normalizeMarkets({ markets: [entry("Will it rain?")] }, "large"), [])
    assert.deepStrictEqual(normalizeMarkets("Will it rain?", "large"), [])
    assert.deepStrictEqual(normalizeMarkets([], "large"), [])
  })
})
