/**
 * The `Enricher` without an API key: there is no web research offline, so the seed goes to the pod as written.
 */
import { Effect, Layer } from "effect"
import { Enricher } from "../../../services/enricher.ts"

export const OfflineEnricherLive = Layer.succeed(
  Enricher,
  Enricher.of({
    enrich: () =>
      Effect.logDebug("offline enrichment: no web research without an API key; the seed is used as written").pipe(
        Effect.as(undefined)
      )
  })
)
