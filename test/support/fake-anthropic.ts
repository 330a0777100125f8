/**
 * A fake Anthropic Messages API on 127.0.0.1 (a real HTTP server, started as a scoped resource) for the Anthropic
 * report writer's tests, driven through the real SDK via its base URL. `POST /v1/messages` wants
 * `Authorization: Bearer <key>` (what the SDK sends, per the notes; `x-api-key` is accepted too) and answers from
 * a queue the test scripts: tool_use turns, a final text turn, error statuses with Anthropic's error body (429 with
 * Retry-After, 529 overloaded, 500, 400), a 200 with a malformed body, or an answer held back past the client's
 * timeout. Every request is recorded with its headers and parsed body. An empty queue answers 400 so a test that
 * sends more requests than it scripted fails loudly.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { scopedLoopbackServer } from "./loopback-server.ts"

interface FakeUsage {
  readonly input_tokens: number
  readonly output_tokens: number
}

export type FakeAnthropicReply =
  | {
    readonly kind: "tool_use"
    readonly calls: ReadonlyArray<{ readonly name: string; readonly input: unknown; readonly id?: string }>
    readonly text?: string
    readonly usage?: FakeUsage
  }
  | { readonly kind: "text"; readonly text: string; readonly usage?: FakeUsage; readonly stopReason?: string }
  | {
    readonly kind: "error"
    readonly status: number
    readonly errorType?: string
    readonly message?: string
    readonly headers?: Readonly<Record<string, string>>
  }
  /** 200 with `content-type: application/json` and a body that is not JSON. */
  | { readonly kind: "malformed" }
  /** Waits this long before answering with `then` (or never answers within the test when long enough). */
  | { readonly kind: "delay"; readonly ms: number; readonly then: FakeAnthropicReply }

interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly xApiKey: string | undefined
  readonly anthropicVersion: string | undefined
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: unknown
  readonly rawBody: string
  readonly status: number
}

export interface FakeAnthropic {
  /** The API root without `/v1`, as the SDK's `baseURL` wants it. */
  readonly url: string
  readonly apiKey: string
  readonly enqueue: (...replies: ReadonlyArray<FakeAnthropicReply>) => void
  readonly requests: () => ReadonlyArray<RecordedRequest>
  readonly pending: () => number
  /** Requests whose client went away before the (delayed) answer was sent: an aborted SDK call. */
  readonly abandoned: () => number
}

const defaultUsage: FakeUsage = { input_tokens: 1000, output_tokens: 200 }

const errorBody = (type: string, message: string) => JSON.stringify({ type: "error", error: { type, message } })

const defaultErrorType = (status: number) =>
  status === 400
    ? "invalid_request_error"
    : status === 401
    ? "authentication_error"
    : status === 429
    ? "rate_limit_error"
    : status === 529
    ? "overloaded_error"
    : "api_error"

interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

const modelOf = (body: unknown): string =>
  typeof body === "object" && body !== null && "model" in body && typeof body.model === "string" ? body.model : "claude-test"

let messageCounter = 0

/** A 200 Messages API answer with these content blocks. */
const message = (requestBody: unknown, content: ReadonlyArray<unknown>, stopReason: string, usage: FakeUsage | undefined): Answer => ({
  status: 200,
  headers: { "content-type": "application/json", "request-id": `req_fake_${messageCounter}` },
  body: JSON.stringify({
    id: `msg_fake_${messageCounter}`,
    type: "message",
    role: "assistant",
    model: modelOf(requestBody),
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usage ?? defaultUsage
  })
})

const answer = (reply: FakeAnthropicReply, requestBody: unknown): Answer => {
  const json = { "content-type": "application/json", "request-id": `req_fake_${++messageCounter}` }
  switch (reply.kind) {
    case "tool_use":
      return message(requestBody, [
        ...(reply.text === undefined ? [] : [{ type: "text", text: reply.text, citations: null }]),
        ...reply.calls.map((call, i) => ({
          type: "tool_use",
          id: call.id ?? `toolu_fake_${messageCounter}_${i}`,
          name: call.name,
          input: call.input,
          caller: { type: "direct" }
        }))
      ], "tool_use", reply.usage)
    case "text":
      return message(
        requestBody,
        reply.text.length === 0 ? [] : [{ type: "text", text: reply.text, citations: null }],
        reply.stopReason ?? "end_turn",
        reply.usage
      )
    case "error":
      return {
        status: reply.status,
        headers: { ...json, ...reply.headers },
        body: errorBody(reply.errorType ?? defaultErrorType(reply.status), reply.message ?? `fake error ${reply.status}`)
      }
    case "malformed":
      return { status: 200, headers: json, body: "{\"id\": \"msg_broken\", \"content\": [" }
    case "delay":
      return answer(reply.then, requestBody)
  }
}

const start = (apiKey: string) => {
  const queue: Array<FakeAnthropicReply> = []
  const log: Array<RecordedRequest> = []
  let abandoned = 0

  const handler: Http.RequestListener = (request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const method = request.method ?? "GET"
      const path = new URL(request.url ?? "/", "http://fake").pathname
      const rawBody = Buffer.concat(chunks).toString("utf8")
      let body: unknown
      try {
        body = JSON.parse(rawBody)
      } catch {
        body = undefined
      }
      const authorization = request.headers.authorization
      const xApiKey = typeof request.headers["x-api-key"] === "string" ? request.headers["x-api-key"] : undefined
      const anthropicVersion = typeof request.headers["anthropic-version"] === "string"
        ? request.headers["anthropic-version"]
        : undefined
      const authorized = authorization === `Bearer ${apiKey}` || xApiKey === apiKey
      const reply: FakeAnthropicReply = method !== "POST" || path !== "/v1/messages"
        ? { kind: "error", status: 404, errorType: "not_found_error", message: `no route ${method} ${path}` }
        : !authorized
        ? { kind: "error", status: 401, message: "invalid x-api-key" }
        : body === undefined
        ? { kind: "error", status: 400, message: "request body is not JSON" }
        : queue.shift() ?? { kind: "error", status: 400, message: "fake-anthropic: no scripted response left" }
      const answered = answer(reply, body)
      log.push({ method, path, authorization, xApiKey, anthropicVersion, body, rawBody, status: answered.status })
      const send = () => {
        if (response.destroyed) return
        response.writeHead(answered.status, answered.headers)
        response.end(answered.body)
      }
      if (reply.kind === "delay") {
        response.on("close", () => {
          if (!response.writableEnded) abandoned += 1
        })
        setTimeout(send, reply.ms).unref()
      } else {
        send()
      }
    })
  }

  const fake = (url: string): FakeAnthropic => ({
    url,
    apiKey,
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    requests: () => [...log],
    pending: () => queue.length,
    abandoned: () => abandoned
  })
  return { handler, fake }
}

/** The fake, closed (connections included) when the scope ends. */
export const fakeAnthropic = (options?: { readonly apiKey?: string }) =>
  Effect.gen(function*() {
    const { handler, fake } = start(options?.apiKey ?? "sk-ant-test-SECRET-0123456789abcdef")
    const { url } = yield* scopedLoopbackServer(handler)
    return fake(url)
  })

/** A loopback URL where nothing listens (a server bound, then closed): connection refused. */
export const refusedUrl = Effect.promise(() =>
  new Promise<string>((resolve) => {
    const server = Http.createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(`http://127.0.0.1:${port}`))
    })
  })
)
