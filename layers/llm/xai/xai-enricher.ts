/**
 * The `Enricher` with xAI Grok (`docs/lifecycle.md`, "Pre-GPU steps"): one Responses API call with the `web_search` and
 * `x_search` tools, the seed cut to 5000 characters, asking for a 300-500 word background summary; citations
 * deduplicated by URL.
 * Fail-soft: an API error or an empty answer is "no enrichment" (a warning, never a failed job). The lifecycle adds
 * its own timeout and second attempt around the call, so there are no retries here. Built by `XaiLive` (`xai-live.ts`)
 * on the client it shares with the market deriver.
 */
import { Duration, Effect } from "effect"
import { Enricher, type Enrichment } from "../../../services/enricher.ts"
import type { XaiClient } from "./xai-client.ts"

const enrichmentSeedChars = 5000
const enrichmentTimeout = Duration.seconds(30)

const enrichmentInstructions =
  "You are a research assistant preparing background for a multi-agent social simulation. Use web search and X " +
  "search to find current, factual context about the scenario below: the actors, recent events, public sentiment " +
  "and the key open questions. Write a 300-500 word background summary in plain prose (no headings, no lists). " +
  "Stick to what your sources support; do not speculate about the outcome."

const enrichmentPrompt = (input: { readonly seedText: string; readonly goal: string }) =>
  `Simulation goal: ${input.goal}\n\nScenario (seed text):\n${input.seedText.slice(0, enrichmentSeedChars)}`

/** The `Enricher` on an xAI client. */
export const makeXaiEnricher = (client: XaiClient) => {
  const enrich = Effect.fn("XaiEnricher.enrich")(
    function*(input: { readonly seedText: string; readonly goal: string }) {
      const answer = yield* client.create({
        step: "enrichment",
        instructions: enrichmentInstructions,
        prompt: enrichmentPrompt(input),
        tools: ["web_search", "x_search"],
        timeout: enrichmentTimeout
      })
      const summary = answer.text.trim()
      if (summary === "") {
        yield* Effect.logWarning("xAI enrichment found nothing (empty answer); the seed is used as written")
        return undefined
      }
      yield* Effect.logDebug(`xAI enrichment: ${summary.length} characters, ${answer.citations.length} citations`)
      const enrichment: Enrichment = { summary, citations: answer.citations }
      return enrichment
    },
    (effect) =>
      effect.pipe(Effect.catchTag("LlmError", (error) =>
        Effect.logWarning(`xAI enrichment failed (${error.kind}): ${error.message}; the seed is used as written`).pipe(
          Effect.as(undefined)
        )))
  )

  return Enricher.of({ enrich })
}
