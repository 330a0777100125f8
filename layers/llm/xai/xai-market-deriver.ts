/**
 * The `MarketDeriver` with xAI Grok (`docs/lifecycle.md`, "Pre-GPU steps"): one Responses API call, no tools, JSON
 * output `{"markets":[{question, initial_price_yes, rationale}]}` from the goal and the (enriched) seed cut to 3000
 * characters, 20 s timeout. The reply is untrusted: `normalizeMarkets` keeps up to the tier's cap of valid,
 * de-duplicated markets with clamped prices. Any failure (API error, timeout, no JSON) means no markets. Built by
 * `XaiLive` (`xai-live.ts`) on the client it shares with the enricher.
 */
import { Duration, Effect, Option, Schema } from "effect"
import { marketCapByTier } from "../../../src/domain/market.ts"
import type { Tier } from "../../../src/domain/tier.ts"
import { normalizeMarkets } from "../markets/normalize-markets.ts"
import { MarketDeriver } from "../../../services/market-deriver.ts"
import type { XaiClient } from "./xai-client.ts"

const marketsSeedChars = 3000
const marketsTimeout = Duration.seconds(20)

const marketsInstructions = (cap: number) =>
  "You design binary prediction markets for a multi-agent social simulation. Propose up to " +
  `${cap} markets that the simulated agents can trade on and that the simulation goal is about. Each market is a ` +
  "yes/no question of at most 200 characters that resolves unambiguously, an initial probability of YES between " +
  "0.05 and 0.95, and a one-sentence rationale for that price. Answer with a JSON object only, exactly: " +
  '{"markets":[{"question":"...","initial_price_yes":0.5,"rationale":"..."}]}. ' +
  'If the goal gives no sensible yes/no question, answer {"markets":[]}.'

const marketsPrompt = (input: { readonly goal: string; readonly seedText: string }) =>
  `Simulation goal: ${input.goal}\n\nScenario context:\n${input.seedText.slice(0, marketsSeedChars)}`

const MarketsReply = Schema.fromJsonString(Schema.Struct({ markets: Schema.Unknown }))
const decodeReply = Schema.decodeUnknownOption(MarketsReply)

/** The `markets` value of the reply: the whole text as JSON, else the span from the first `{` to the last `}` (fences, prose). */
const marketsOfReply = (text: string): Option.Option<unknown> => {
  const whole = decodeReply(text.trim())
  if (Option.isSome(whole)) return Option.some(whole.value.markets)
  const start = text.indexOf("{")
  const end = text.lastIndexOf("}")
  if (start < 0 || end <= start) return Option.none()
  return Option.map(decodeReply(text.slice(start, end + 1)), (reply) => reply.markets)
}

/** The `MarketDeriver` on an xAI client. */
export const makeXaiMarketDeriver = (client: XaiClient) => {
  const derive = Effect.fn("XaiMarketDeriver.derive")(
    function*(input: { readonly goal: string; readonly seedText: string; readonly tier: Tier }) {
      const answer = yield* client.create({
        step: "markets",
        instructions: marketsInstructions(marketCapByTier[input.tier]),
        prompt: marketsPrompt(input),
        json: true,
        timeout: marketsTimeout
      })
      const entries = marketsOfReply(answer.text)
      if (Option.isNone(entries)) {
        yield* Effect.logWarning(`xAI market derivation: the reply is not {"markets":[...]} JSON, so no markets`)
        return []
      }
      const markets = normalizeMarkets(entries.value, input.tier)
      yield* Effect.logDebug(`xAI market derivation: ${markets.length} markets kept for tier ${input.tier}`)
      return markets
    },
    (effect) =>
      effect.pipe(Effect.catchTag("LlmError", (error) =>
        Effect.logWarning(`xAI market derivation failed (${error.kind}): ${error.message}; no markets`).pipe(
          Effect.as([])
        )))
  )

  return MarketDeriver.of({ derive })
}
