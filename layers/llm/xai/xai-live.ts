/**
 * xAI Grok for the two pre-GPU steps: one Layer that reads the XAI_* settings (`xai-config.ts`, the key required),
 * builds one Responses API client (`xai-client.ts`) and provides both the `Enricher` (`xai-enricher.ts`) and the
 * `MarketDeriver` (`xai-market-deriver.ts`) on it. Requires the `LlmUsageRecorder` the client records usage with.
 * The composition root picks it when XAI_API_KEY is set, the offline pair otherwise.
 */
import { Context, Effect, Layer } from "effect"
import { Enricher } from "../../../services/enricher.ts"
import { MarketDeriver } from "../../../services/market-deriver.ts"
import { makeXaiClient, xaiHttpClientLayer } from "./xai-client.ts"
import { XaiConfig } from "./xai-config.ts"
import { makeXaiEnricher } from "./xai-enricher.ts"
import { makeXaiMarketDeriver } from "./xai-market-deriver.ts"

export const XaiLive = Layer.effectContext(Effect.gen(function*() {
  const client = yield* makeXaiClient(yield* XaiConfig)
  return Context.make(Enricher, makeXaiEnricher(client)).pipe(
    Context.add(MarketDeriver, makeXaiMarketDeriver(client))
  )
})).pipe(Layer.provide(xaiHttpClientLayer))
