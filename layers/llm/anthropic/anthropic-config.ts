/** The ANTHROPIC_* settings of the Anthropic report writer (`anthropic-report-writer.ts`). */
import { Config } from "effect"
import { boundedInt, httpUrl, optionalSecret, secret } from "../../../src/config.ts"

/**
 * ANTHROPIC_API_KEY; unset or empty = no Anthropic (the composition root runs the offline report writer). Sent only
 * as a header, never logged.
 */
export const anthropicApiKey = optionalSecret("ANTHROPIC_API_KEY")

/** What the Anthropic report writer reads; the key is required (the layer does not start without it). */
export const AnthropicConfig = Config.all({
  apiKey: secret("ANTHROPIC_API_KEY"),
  /** ANTHROPIC_BASE_URL: the API root without `/v1` (a gateway or proxy); unset = the SDK's default. */
  baseUrl: httpUrl("ANTHROPIC_BASE_URL", "https://api.anthropic.com").pipe(Config.option),
  /** ANTHROPIC_MODEL: the model that writes the report. */
  model: Config.NonEmptyString("ANTHROPIC_MODEL").pipe(Config.withDefault("claude-opus-5")),
  /** ANTHROPIC_MAX_TOKENS: the output limit of each turn. */
  maxTokens: boundedInt("ANTHROPIC_MAX_TOKENS", 1, 128_000, 4096)
})
