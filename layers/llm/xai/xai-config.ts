/** The XAI_* settings of the xAI layer (`xai-live.ts`): xAI Grok for seed enrichment and market derivation. */
import { Config } from "effect"
import { httpUrl, optionalSecret, secret } from "../../../src/config.ts"

/**
 * XAI_API_KEY as the composition root reads it: unset or empty = no xAI (the offline stand-ins run instead). Sent
 * only as `Authorization: Bearer`, never logged.
 */
export const xaiApiKey = optionalSecret("XAI_API_KEY")

/** What the xAI layer needs; the key is required (the root builds that layer only when it is set). */
export const XaiConfig = Config.all({
  apiKey: secret("XAI_API_KEY"),
  /** XAI_BASE_URL: the xAI API root the `/responses` path hangs off (gateways, proxies, test fakes). */
  baseUrl: httpUrl("XAI_BASE_URL", "https://api.x.ai/v1").pipe(Config.withDefault("https://api.x.ai/v1")),
  /** XAI_MODEL: the Grok model of both xAI steps. */
  model: Config.NonEmptyString("XAI_MODEL").pipe(Config.withDefault("grok-4-fast-non-reasoning"))
})
