/**
 * The LLM backend: an OpenAI-compatible API (vLLM on a pod) at `LLM_BASE_URL`, or none (the offline policy).
 * `ready` is what `/health` reports: the backend answers `GET {base}/models` within 3 s. Chat completions are
 * retried on transient failures (connection errors, timeouts, 408/429/5xx) 3 attempts in all, 1 s then 2 s apart,
 * and each retried failure is logged as `llm.chat transient error attempt=k`, the line the orchestrator's circuit
 * breaker counts. Permanent failures (other 4xx) are not retried.
 */
import { Clock, Context, Data, Duration, Effect, Layer, Option, Redacted, Ref, Schedule, Schema } from "effect"
import { FetchHttpClient, HttpClient, type HttpClientError, HttpClientRequest, HttpClientResponse } from "effect/http"
import { PodWorkerSettings } from "./pod-worker-config.ts"
import { PipelineLog } from "./logs.ts"

const ToolCall = Schema.Struct({
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})

export const ChatCompletion = Schema.Struct({
  choices: Schema.Array(Schema.Struct({
    message: Schema.Struct({
      content: Schema.optionalKey(Schema.NullOr(Schema.String)),
      tool_calls: Schema.optionalKey(Schema.NullOr(Schema.Array(ToolCall)))
    })
  })),
  usage: Schema.optionalKey(Schema.NullOr(Schema.Struct({ total_tokens: Schema.Number })))
})
export type ChatCompletion = typeof ChatCompletion.Type

const ModelList = Schema.Struct({ data: Schema.Array(Schema.Struct({ id: Schema.String })) })

/** A chat-completions call that failed; `transient` ones were retried first. No URL or key in the text. */
export class LlmCallError extends Data.TaggedError("LlmCallError")<{
  readonly transient: boolean
  readonly detail: string
}> {}

export interface ChatReply {
  /** None: a 2xx whose body is not a chat completion. */
  readonly completion: Option.Option<ChatCompletion>
  readonly attempts: number
  readonly millis: number
}

export class LlmClient extends Context.Service<LlmClient, {
  /** Whether LLM_BASE_URL is set (else agents use the offline policy). */
  readonly enabled: boolean
  /** Whether the backend serves: always true without LLM_BASE_URL. */
  readonly ready: Effect.Effect<boolean>
  /** LLM_MODEL_NAME, else the first model the backend lists. */
  readonly model: Effect.Effect<string, LlmCallError>
  /** `label` names the caller in log lines (e.g. `agent=a3 round=5`). */
  readonly chat: (body: unknown, label: string) => Effect.Effect<ChatReply, LlmCallError>
}>()("fishcloud/pod-worker/LlmClient") {}

const probeTimeout = Duration.seconds(3)

const isTransientStatus = (status: number) => status === 408 || status === 429 || status >= 500

const transportFailure = (error: HttpClientError.HttpClientError) =>
  new LlmCallError({ transient: true, detail: `request failed (${error.reason._tag})` })

export const LlmClientLive = Layer.effect(LlmClient, Effect.gen(function*() {
  const settings = yield* PodWorkerSettings
  const log = yield* PipelineLog
  const http = yield* HttpClient.HttpClient
  const base = settings.llmBaseUrl

  const authorized = (request: HttpClientRequest.HttpClientRequest) =>
    Option.match(settings.llmApiKey, {
      onNone: () => request,
      onSome: (key) => HttpClientRequest.bearerToken(request, Redacted.value(key))
    })

  const ready = Option.match(base, {
    onNone: () => Effect.succeed(true),
    onSome: (url) =>
      http.execute(authorized(HttpClientRequest.get(`${url}/models`))).pipe(
        // Read the body so the connection is released; only the status matters.
        Effect.flatMap((response) => Effect.as(response.text, response.status >= 200 && response.status < 300)),
        Effect.timeoutOption(probeTimeout),
        Effect.map(Option.getOrElse(() => false)),
        Effect.orElseSucceed(() => false)
      )
  })

  const model = Option.match(settings.llmModelName, {
    onSome: (name) => Effect.succeed(name),
    onNone: () =>
      Option.match(base, {
        onNone: () => Effect.succeed("offline"),
        onSome: (url) =>
          http.execute(authorized(HttpClientRequest.get(`${url}/models`))).pipe(
            Effect.mapError(transportFailure),
            Effect.flatMap((response) =>
              response.status >= 200 && response.status < 300
                ? HttpClientResponse.schemaBodyJson(ModelList)(response).pipe(
                  Effect.mapError(() => new LlmCallError({ transient: false, detail: "GET /models: not a model list" }))
                )
                : response.text.pipe(
                  Effect.orElseSucceed(() => ""),
                  Effect.andThen(Effect.fail(new LlmCallError({ transient: false, detail: `GET /models: status=${response.status}` })))
                )
            ),
            Effect.flatMap((list) =>
              list.data[0] === undefined
                ? Effect.fail(new LlmCallError({ transient: false, detail: "GET /models: the backend serves no model" }))
                : Effect.succeed(list.data[0].id)
            ),
            Effect.timeoutOrElse({
              duration: Duration.millis(settings.llmTimeoutMs),
              orElse: () => Effect.fail(new LlmCallError({ transient: false, detail: "GET /models: timed out" }))
            })
          )
      })
  })

  const retryPolicy = Schedule.max([Schedule.exponential(Duration.millis(settings.llmRetryMs), 2), Schedule.recurs(2)])

  const attempt = (url: string, body: unknown) =>
    Effect.gen(function*() {
      const request = yield* HttpClientRequest.post(`${url}/chat/completions`).pipe(
        authorized,
        HttpClientRequest.bodyJson(body),
        Effect.mapError(() => new LlmCallError({ transient: false, detail: "the request body is not JSON" }))
      )
      const response = yield* http.execute(request).pipe(Effect.mapError(transportFailure))
      if (response.status < 200 || response.status >= 300) {
        yield* response.text.pipe(Effect.orElseSucceed(() => ""))
        return yield* new LlmCallError({ transient: isTransientStatus(response.status), detail: `status=${response.status}` })
      }
      return yield* HttpClientResponse.schemaBodyJson(ChatCompletion)(response).pipe(
        Effect.map(Option.some),
        Effect.catchTag("SchemaError", () => Effect.succeed(Option.none<ChatCompletion>())),
        Effect.mapError(transportFailure)
      )
    }).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(settings.llmTimeoutMs),
        orElse: () => Effect.fail(new LlmCallError({ transient: true, detail: `timeout after ${settings.llmTimeoutMs}ms` }))
      })
    )

  const chat = (body: unknown, label: string) =>
    Option.match(base, {
      onNone: () => Effect.fail(new LlmCallError({ transient: false, detail: "LLM_BASE_URL is not set" })),
      onSome: (url) =>
        Effect.gen(function*() {
          const attempts = yield* Ref.make(0)
          const started = yield* Clock.currentTimeMillis
          const completion = yield* Effect.gen(function*() {
            const n = yield* Ref.updateAndGet(attempts, (k) => k + 1)
            return yield* attempt(url, body).pipe(
              Effect.tapError((error) =>
                error.transient && n < 3 ? log.append(`llm.chat transient error attempt=${n} ${label} ${error.detail}`) : Effect.void
              )
            )
          }).pipe(Effect.retry({ schedule: retryPolicy, while: (error) => error.transient }))
          return { completion, attempts: yield* Ref.get(attempts), millis: (yield* Clock.currentTimeMillis) - started }
        })
    })

  return LlmClient.of({ enabled: Option.isSome(base), ready, model, chat })
})).pipe(Layer.provide(FetchHttpClient.layer))
