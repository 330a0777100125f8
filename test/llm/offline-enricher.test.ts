import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { OfflineEnricherLive } from "../../layers/llm/offline/offline-enricher.ts"
import { Enricher } from "../../services/enricher.ts"

it.effect("offline enrichment returns no research, so the seed is simulated as written", () =>
  Effect.gen(function*() {
    const enricher = yield* Enricher
    const enrichment = yield* enricher.enrich({ seedText: "A long seed about rates.", goal: "Will rates fall?" })
    assert.isUndefined(enrichment)
  }).pipe(Effect.provide(OfflineEnricherLive)))
