/**
 * A small client for xAI's Responses API (`POST {XAI_BASE_URL}/responses`, docs.x.ai "Responses API", OpenAI
 * Responses-compatible), shared by the xAI enricher and market deriver (`xai-live.ts`).
 *
 * Request (the fields we send): `{ model, input: [{ role: "system" | "user", content }], tools?: [{ type:
 * "web_search" }, { type: "x_search" }], text?: { format: { type: "json_object" } }, store: false }`.
 * Response (the fields we read, leniently): `model`, `output[]` items of type `message` whose `content[]` parts of
 * type `output_text` carry `text` and `annotations[]` (`url_citation`: `url`, `title`); the top-level `citations`
 * (every URL the search tools saw, docs.x.ai "Citations"); `usage.input_tokens` / `usage.output_tokens`.
 *
 * Every call is a client span named `chat {model}` with the OpenTelemetry GenAI attributes, records its usage and
 * estimated cost with the `LlmUsageRecorder`, and fails with an `LlmError`: transient for 408/429/5xx, timeouts and
 * connection errors, permanent for other 4xx and malformed bodies. The key travels only as the `Authorization`
 * header (Effect's HTTP spans redact it); any echo of it in an error body is scrubbed before it reaches a message.
 */
import { Duration, Effect, flow, Option, Redacted, Schema } from "effect"
import { FetchHttpClient, Headers, HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import { type Enrichment } from "../../../services/enricher.ts"
import { LlmError } from "../../../services/llm-error.ts"
import { LlmUsageRecorder } from "../../../services/llm-usage-recorder.ts"
import { rootCause } from "../../net/root-cause.ts"

/** `{ url, title }`, as stored on the job. */
export type Citation = Enrichment["citations"][number]

const xaiProvider = "xai"

/**
 * USD per million tokens. ESTIMATES for the cost shown on a job, not billing: list prices from xAI's model pages
 * (docs.x.ai/developers/models/<model>, read 2026-11; grok-4-fast-non-reasoning: input $0.20, output $0.50).
 * Cached-input discounts and per-call search-tool fees are not counted, so real costs of enrichment are higher.
 * A model not in the table is priced at `fallback` (the dearest entry, so an unknown model is not under-counted).
 */
const xaiPricesPerMillionTokens = {
  models: {
    "grok-4-fast-non-reasoning": { input: 0.2, output: 0.5 },
    "grok-4-fast-reasoning": { input: 0.2, output: 0.5 },
    "grok-4-1-fast-non-reasoning": { input: 0.2, output: 0.5 },
    "grok-4-1-fast-reasoning": { input: 0.2, output: 0.5 },
    "grok-4.20": { input: 1.25, output: 2.5 }
  } as Record<string, { readonly input: number; readonly output: number } | undefined>,
  fallback: { input: 1.25, output: 2.5 }
} as const

/** Estimated USD for a call: the response's model if priced, else the requested one, else the fallback. */
const estimateXaiCostUsd = (models: ReadonlyArray<string>, inputTokens: number, outputTokens: number): number => {
  const price = models.map((model) => xaiPricesPerMillionTokens.models[model]).find((entry) => entry !== undefined) ??
    xaiPricesPerMillionTokens.fallback
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000
}

// ---- Wire shapes ---------------------------------------------------------------------------------------------

const ResponsesTool = Schema.Struct({ type: Schema.Literals(["web_search", "x_search"]) })

/** The request body we send. */
const ResponsesRequest = Schema.Struct({
  model: Schema.String,
  input: Schema.Array(Schema.Struct({ role: Schema.Literals(["system", "user"]), content: Schema.String })),
  tools: Schema.optional(Schema.Array(ResponsesTool)),
  text: Schema.optional(Schema.Struct({ format: Schema.Struct({ type: Schema.Literal("json_object") }) })),
  store: Schema.Boolean
})
type ResponsesRequest = typeof ResponsesRequest.Type

const Annotation = Schema.Struct({
  type: Schema.String,
  url: Schema.optional(Schema.String),
  title: Schema.optional(Schema.NullOr(Schema.String))
})

const ContentPart = Schema.Struct({
  type: Schema.String,
  text: Schema.optional(Schema.String),
  annotations: Schema.optional(Schema.Array(Annotation))
})

/** An output item: messages carry content; tool calls (`web_search_call`, ...) are kept only by type. */
const OutputItem = Schema.Struct({
  type: Schema.String,
  content: Schema.optional(Schema.Array(ContentPart))
})

const Usage = Schema.Struct({
  input_tokens: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  output_tokens: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
})

/** The response fields we read; anything else the API adds is ignored. */
const ResponsesResponse = Schema.Struct({
  model: Schema.optional(Schema.String),
  output: Schema.Array(OutputItem),
  citations: Schema.optional(Schema.Array(Schema.Unknown)),
  usage: Schema.optional(Schema.NullOr(Usage))
})
type ResponsesResponse = typeof ResponsesResponse.Type

// ---- Client --------------------------------------------------------------------------------------------------

export interface XaiClientOptions {
  /** XAI_BASE_URL, e.g. `https://api.x.ai/v1`. */
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  readonly model: string
}

export interface XaiCall {
  /** The LLM step, for usage records: `enrichment`, `markets`. */
  readonly step: string
  readonly instructions: string
  readonly prompt: string
  readonly tools?: ReadonlyArray<"web_search" | "x_search">
  /** Ask for a JSON object (`text.format.type = json_object`). */
  readonly json?: boolean
  readonly timeout: Duration.Duration
}

export interface XaiAnswer {
  /** The output text parts joined, as the model wrote them (not trimmed). */
  readonly text: string
  /** `url_citation` annotations first (they have titles), then the top-level `citations`; deduplicated by URL. */
  readonly citations: ReadonlyArray<Citation>
  readonly model: string
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number } | undefined
}

/** The client both xAI steps share: one Responses API call at a time. */
export interface XaiClient {
  readonly create: (call: XaiCall) => Effect.Effect<XaiAnswer, LlmError>
}

/** The answer's text and citations, read from the decoded response. */
const readAnswer = (response: ResponsesResponse): { readonly text: string; readonly citations: ReadonlyArray<Citation> } => {
  const texts: Array<string> = []
  const byUrl = new Map<string, Citation>()
  const cite = (url: string, title: string | null | undefined) => {
    const key = url.trim()
    if (key === "" || byUrl.has(key)) return
    byUrl.set(key, { url: key, title: title?.trim() || key })
  }
  for (const item of response.output) {
    if (item.type !== "message") continue
    for (const part of item.content ?? []) {
      if (part.type !== "output_text") continue
      if (part.text !== undefined) texts.push(part.text)
      for (const annotation of part.annotations ?? []) {
        if (annotation.type === "url_citation" && annotation.url !== undefined) cite(annotation.url, annotation.title)
      }
    }
  }
  for (const entry of response.citations ?? []) {
    if (typeof entry === "string") cite(entry, undefined)
    else if (typeof entry === "object" && entry !== null && "url" in entry && typeof entry.url === "string") {
      cite(entry.url, "title" in entry && typeof entry.title === "string" ? entry.title : undefined)
    }
  }
  return { text: texts.join(""), citations: [...byUrl.values()] }
}


/** Whether a status is worth retrying later: rate limits, request timeouts and server errors. */
const isTransientStatus = (status: number) => status === 408 || status === 429 || status >= 500

export const makeXaiClient = Effect.fnUntraced(function*(options: XaiClientOptions) {
  const recorder = yield* LlmUsageRecorder
  const http = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(flow(
      HttpClientRequest.prependUrl(options.baseUrl),
      HttpClientRequest.acceptJson,
      HttpClientRequest.bearerToken(options.apiKey)
    ))
  )
  const decodeResponse = Schema.decodeUnknownEffect(ResponsesResponse)

  /** Removes any echo of the key from text that may end up in an error, a log line or a span. */
  const scrub = (text: string): string => {
    const key = Redacted.value(options.apiKey)
    return key.length === 0 ? text : text.split(key).join("[redacted]")
  }
  const fail = (kind: LlmError["kind"], message: string) => Effect.fail(new LlmError({ kind, message: scrub(message) }))

  const transportFailure = (error: HttpClientError.HttpClientError) => {
    if (error.reason._tag === "TransportError") {
      const why = rootCause(error.reason.cause)
      return fail("transient", `xAI unreachable: ${error.message}${why === undefined ? "" : `: ${why}`}`)
    }
    return fail("permanent", `xAI request failed: ${error.message}`)
  }

  const create = (call: XaiCall): Effect.Effect<XaiAnswer, LlmError> =>
    Effect.gen(function*() {
      const body: ResponsesRequest = {
        model: options.model,
        input: [{ role: "system", content: call.instructions }, { role: "user", content: call.prompt }],
        ...(call.tools !== undefined && call.tools.length > 0 ? { tools: call.tools.map((type) => ({ type })) } : {}),
        ...(call.json === true ? { text: { format: { type: "json_object" as const } } } : {}),
        store: false
      }
      const request = yield* HttpClientRequest.post("/responses").pipe(
        HttpClientRequest.schemaBodyJson(ResponsesRequest)(body),
        Effect.catch((error) => fail("permanent", `cannot encode the xAI request: ${error.message}`))
      )
      const response = yield* http.execute(request).pipe(Effect.catch(transportFailure))
      const text = yield* response.text.pipe(Effect.catch(transportFailure))
      if (response.status < 200 || response.status >= 300) {
        const retryAfter = Option.getOrUndefined(Headers.get(response.headers, "retry-after"))
        yield* Effect.annotateCurrentSpan({ "error.type": String(response.status), "http.response.status_code": response.status })
        return yield* fail(
          isTransientStatus(response.status) ? "transient" : "permanent",
          `xAI answered ${response.status}${retryAfter === undefined ? "" : ` (Retry-After: ${retryAfter})`}: ${
            text.trim().slice(0, 300) || "(empty body)"
          }`
        )
      }
      const json = yield* Effect.try({
        try: (): unknown => JSON.parse(text),
        catch: () => new LlmError({ kind: "permanent", message: `xAI answered ${response.status} with a body that is not JSON` })
      })
      const decoded = yield* decodeResponse(json).pipe(
        Effect.catch((error) => fail("permanent", `xAI answered an unexpected response shape: ${error.message.slice(0, 500)}`))
      )
      const answer = readAnswer(decoded)
      const model = decoded.model ?? options.model
      const usage = decoded.usage === undefined || decoded.usage === null ? undefined : {
        inputTokens: decoded.usage.input_tokens,
        outputTokens: decoded.usage.output_tokens,
        costUsd: estimateXaiCostUsd([model, options.model], decoded.usage.input_tokens, decoded.usage.output_tokens)
      }
      yield* Effect.annotateCurrentSpan({
        "gen_ai.response.model": model,
        ...(usage === undefined ? {} : {
          "gen_ai.usage.input_tokens": usage.inputTokens,
          "gen_ai.usage.output_tokens": usage.outputTokens
        })
      })
      if (usage !== undefined) {
        yield* recorder.record({ step: call.step, provider: xaiProvider, model, ...usage })
      }
      return { text: answer.text, citations: answer.citations, model, usage }
    }).pipe(
      Effect.timeoutOrElse({
        duration: call.timeout,
        orElse: () => fail("transient", `xAI gave no answer within ${Duration.format(call.timeout)}`)
      }),
      Effect.tapError((error) => Effect.annotateCurrentSpan({ "fishcloud.llm.error_kind": error.kind })),
      Effect.withSpan(`chat ${options.model}`, {
        kind: "client",
        attributes: {
          "gen_ai.provider.name": xaiProvider,
          "gen_ai.operation.name": "chat",
          "gen_ai.request.model": options.model,
          "fishcloud.llm.step": call.step,
          "server.address": hostOf(options.baseUrl)
        }
      })
    )

  const client: XaiClient = { create }
  return client
})

const hostOf = (url: string): string => URL.canParse(url) ? new URL(url).hostname : url

/** The fetch-based HTTP client the xAI layer uses. */
export const xaiHttpClientLayer = FetchHttpClient.layer
