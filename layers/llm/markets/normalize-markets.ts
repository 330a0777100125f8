/**
 * Validation of the markets an LLM proposes (`{"markets":[{question, initial_price_yes, rationale}]}`), per
 * `docs/lifecycle.md`, "Pre-GPU steps": a reply is untrusted text, so each entry is decoded leniently and either
 * repaired or dropped, and whatever survives is a valid `Market`. A bad entry never fails the step: no markets is a
 * valid outcome.
 */
import { Effect, Option, Schema, SchemaTransformation } from "effect"
import { type Market, marketCapByTier } from "../../../src/domain/market.ts"
import type { Tier } from "../../../src/domain/tier.ts"

export const maxQuestionLength = 200
const minPriceYes = 0.05
const maxPriceYes = 0.95
const fallbackPriceYes = 0.5

/** "0.7" is a number too (models quote numbers); a blank string is not (`Number("")` would give 0). */
const NumericString = Schema.String.check(Schema.isPattern(/\S/)).pipe(
  Schema.decodeTo(Schema.Finite, SchemaTransformation.numberFromString)
)

/** Anything that is not a finite number or numeric string (null, true, "abc", NaN, a missing key) is 0.5: no opinion. */
const LenientPrice = Schema.Union([Schema.Finite, NumericString]).pipe(
  Schema.catchDecoding(() => Effect.succeed(Option.some(fallbackPriceYes))),
  Schema.withDecodingDefaultTypeKey(Effect.succeed(fallbackPriceYes))
)

const LenientRationale = Schema.String.pipe(
  Schema.catchDecoding(() => Effect.succeed(Option.some(""))),
  Schema.withDecodingDefaultTypeKey(Effect.succeed(""))
)

/** One proposed market: only a string question is required; the rest is repaired. Extra keys are ignored. */
const ProposedMarket = Schema.Struct({
  question: Schema.String,
  initial_price_yes: LenientPrice,
  rationale: LenientRationale
})
const decodeProposed = Schema.decodeUnknownOption(ProposedMarket)
const decodeList = Schema.decodeUnknownOption(Schema.Array(Schema.Unknown))

const clampPrice = (price: number) => Math.min(maxPriceYes, Math.max(minPriceYes, price))

/**
 * The valid markets in `entries`, in order, at most the tier's cap, with ids m1, m2, ...
 * Dropped: entries that are not objects, questions that are not strings, blank (after trimming surrounding
 * whitespace) or longer than 200 characters, and questions equal to an earlier kept one ignoring case.
 * Drops happen before the cap, so a dropped entry does not use up a slot. Input that is not a list gives none.
 */
export const normalizeMarkets = (entries: unknown, tier: Tier): ReadonlyArray<Market> => {
  const list = Option.getOrElse(decodeList(entries), () => [])
  const cap = marketCapByTier[tier]
  const seen = new Set<string>()
  const markets: Array<Market> = []
  for (const entry of list) {
    if (markets.length >= cap) break
    const proposed = decodeProposed(entry)
    if (Option.isNone(proposed)) continue
    const question = proposed.value.question.trim()
    if (question.length === 0 || question.length > maxQuestionLength) continue
    const identity = question.toLowerCase()
    if (seen.has(identity)) continue
    seen.add(identity)
    markets.push({
      id: `m${markets.length + 1}`,
      question,
      initial_price_yes: clampPrice(proposed.value.initial_price_yes),
      rationale: proposed.value.rationale
    })
  }
  return markets
}
