/**
 * What an Anthropic SDK failure means for the report workflow (`docs/lifecycle.md`, "The report"): 429, 408, 5xx (529
 * overloaded too), connection errors and timeouts are transient, so the workflow's back-off applies; other 4xx and
 * bodies that are not the API's JSON are permanent. SDK subclasses are checked before their base classes
 * (APIConnectionTimeoutError extends APIConnectionError; OverloadedError extends InternalServerError; all extend
 * APIError). The key never reaches a message: every text is scrubbed of it.
 */
import Anthropic from "@anthropic-ai/sdk"
import { Redacted } from "effect"
import { LlmError } from "../../../services/llm-error.ts"

const brief = (message: string) => (message.length > 300 ? `${message.slice(0, 299)}…` : message)

/** The text with every occurrence of the key replaced. */
export const scrubKey = (text: string, apiKey: Redacted.Redacted<string>): string => {
  const key = Redacted.value(apiKey)
  return key.length === 0 ? text : text.split(key).join("<redacted>")
}

const retryAfter = (headers: Headers | undefined): string => {
  const millis = headers?.get("retry-after-ms") ?? null
  const seconds = headers?.get("retry-after") ?? null
  return millis !== null ? ` (retry after ${millis} ms)` : seconds !== null ? ` (retry after ${seconds})` : ""
}

export const classifyAnthropicError = (error: unknown, apiKey: Redacted.Redacted<string>): LlmError => {
  const make = (kind: "transient" | "permanent", message: string) =>
    new LlmError({ kind, message: scrubKey(brief(`anthropic: ${message}`), apiKey) })
  if (error instanceof Anthropic.APIUserAbortError) return make("transient", "request aborted")
  if (error instanceof Anthropic.APIConnectionTimeoutError) return make("transient", "request timed out")
  if (error instanceof Anthropic.APIConnectionError) return make("transient", `connection failed: ${error.message}`)
  if (error instanceof Anthropic.RateLimitError) {
    return make("transient", `429 rate limited${retryAfter(error.headers)}: ${error.message}`)
  }
  if (error instanceof Anthropic.OverloadedError) return make("transient", `529 overloaded: ${error.message}`)
  if (error instanceof Anthropic.InternalServerError) return make("transient", `${error.status} server error: ${error.message}`)
  if (error instanceof Anthropic.APIError) {
    const status = error.status
    if (status === undefined) return make("transient", `no response: ${error.message}`)
    if (status >= 500 || status === 408) return make("transient", `${status}: ${error.message}`)
    return make("permanent", `${status} ${error.type ?? "error"}: ${error.message}`)
  }
  if (error instanceof SyntaxError) return make("permanent", `malformed response body: ${error.message}`)
  if (error instanceof Error) return make("permanent", `${error.name}: ${error.message}`)
  return make("permanent", `unexpected failure: ${String(error)}`)
}
