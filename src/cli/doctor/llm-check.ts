/**
 * Doctor check 6, the LLM keys: one authenticated call that costs nothing (list the models) for each key that is set;
 * "offline" for each that is not (the offline steps run instead).
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Duration, Effect, Option, Redacted } from "effect"
import { HttpClientRequest } from "effect/http"
import { AnthropicConfig, anthropicApiKey } from "../../../layers/llm/anthropic/anthropic-config.ts"
import { XaiConfig, xaiApiKey } from "../../../layers/llm/xai/xai-config.ts"
import type { Finding } from "../../config-checks.ts"
import { bounded, callTimeLimit, exchange, finding, scrub } from "./doctor-check.ts"

const notParsed = (check: string): ReadonlyArray<Finding> => [{
  severity: "error",
  check,
  message: "not checked: its settings do not parse (see settings above)"
}]

const statusFinding = (check: string, keyName: string, urlName: string, status: number): Finding => {
  if (status >= 200 && status < 300) return { severity: "ok", check, message: `${keyName} is accepted` }
  if (status === 401 || status === 403) {
    return finding("error", check, `${keyName} was refused (HTTP ${status})`, `set ${keyName} to a valid key, or unset it to run offline`)
  }
  if (status === 404) {
    return {
      severity: "warning",
      check,
      message: `${urlName} has no models list (HTTP 404): ${keyName} could not be checked`,
      fix: `check ${urlName} if it is not a gateway that lacks that route`
    }
  }
  return { severity: "error", check, message: `listing the models answered HTTP ${status}`, fix: `check ${urlName} and the provider's status page` }
}

const xaiCheck = Effect.gen(function*() {
  const check = "xAI"
  const key = yield* Effect.orElseSucceed(xaiApiKey, () => Option.none<Redacted.Redacted<string>>())
  if (Option.isNone(key)) {
    return [finding("ok", check, "offline (XAI_API_KEY unset): seed enrichment and markets use the offline steps")]
  }
  const config = yield* Effect.option(XaiConfig)
  if (Option.isNone(config)) return notParsed(check)
  const { baseUrl, apiKey } = config.value
  const clean = scrub([apiKey])
  return yield* exchange(HttpClientRequest.get(`${baseUrl}/models`).pipe(HttpClientRequest.bearerToken(apiKey))).pipe(
    Effect.map((answer) => [statusFinding(check, "XAI_API_KEY", "XAI_BASE_URL", answer.status)]),
    Effect.catch((why) =>
      Effect.succeed<ReadonlyArray<Finding>>([{
        severity: "error",
        check,
        message: clean(`XAI_BASE_URL ${baseUrl} is unreachable: ${why}`),
        fix: "check XAI_BASE_URL (default https://api.x.ai/v1) and that this machine reaches it"
      }])
    )
  )
}).pipe(bounded("xAI", "check XAI_BASE_URL and that this machine reaches it"))

/** The SDK's failure, as a status (an HTTP answer) or words (no answer). */
const anthropicFailure = (sdk: typeof Anthropic, error: unknown): { readonly status: number } | { readonly why: string } => {
  if (error instanceof sdk.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ""
    return { why: `${error.message}${cause}` }
  }
  if (error instanceof sdk.APIError && error.status !== undefined) return { status: error.status }
  return { why: error instanceof Error ? error.message : String(error) }
}

const anthropicCheck = Effect.gen(function*() {
  const check = "Anthropic"
  const key = yield* Effect.orElseSucceed(anthropicApiKey, () => Option.none<Redacted.Redacted<string>>())
  if (Option.isNone(key)) {
    return [finding("ok", check, "offline (ANTHROPIC_API_KEY unset): the analyst report uses the offline writer")]
  }
  const config = yield* Effect.option(AnthropicConfig)
  if (Option.isNone(config)) return notParsed(check)
  const { apiKey, baseUrl } = config.value
  const clean = scrub([apiKey])
  // The SDK is loaded only when there is a key to check (as the service does).
  const { default: sdk } = yield* Effect.promise(() => import("@anthropic-ai/sdk"))
  const client = new sdk({
    apiKey: Redacted.value(apiKey),
    ...(Option.isSome(baseUrl) ? { baseURL: baseUrl.value } : {}),
    maxRetries: 0,
    timeout: Duration.toMillis(callTimeLimit)
  })
  const where = Option.getOrElse(baseUrl, () => "https://api.anthropic.com")
  return yield* Effect.tryPromise({
    try: (signal) => client.models.list({ limit: 1 }, { signal }),
    catch: (error) => anthropicFailure(sdk, error)
  }).pipe(
    Effect.as<ReadonlyArray<Finding>>([statusFinding(check, "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", 200)]),
    Effect.catch((failure) =>
      Effect.succeed<ReadonlyArray<Finding>>(
        "status" in failure
          ? [statusFinding(check, "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", failure.status)]
          : [{
            severity: "error",
            check,
            message: clean(`ANTHROPIC_BASE_URL ${where} is unreachable: ${failure.why}`),
            fix: "check ANTHROPIC_BASE_URL (unset = https://api.anthropic.com) and that this machine reaches it"
          }]
      )
    )
  )
}).pipe(bounded("Anthropic", "check ANTHROPIC_BASE_URL and that this machine reaches it"))

export const llmCheck: Effect.Effect<ReadonlyArray<Finding>> = Effect.all([xaiCheck, anthropicCheck]).pipe(
  Effect.map(([xai, anthropic]) => [...xai, ...anthropic])
)
