/**
 * A fake xAI Responses API on 127.0.0.1 (a real HTTP server, started as a scoped resource) for the xAI client's
 * tests. `POST {url}/responses` wants `Authorization: Bearer <key>` (401 otherwise) and answers the next scripted
 * reply, else a default text answer, in the shape `layers/llm/xai/xai-client.ts` reads: `output[].content[]` parts of
 * type `output_text` with `url_citation` annotations, top-level `citations`, and `usage`. Every request is recorded.
 */
import * as Http from "node:http"
import { Effect } from "effect"
import { scopedLoopbackServer, withBody } from "./loopback-server.ts"

interface FakeAnnotation {
  readonly url: string
  readonly title?: string
}

export type FakeXaiReply =
  /** 200 with one message; text may be empty. */
  | {
    readonly kind: "answer"
    readonly text: string
    readonly annotations?: ReadonlyArray<FakeAnnotation>
    readonly citations?: ReadonlyArray<string>
    readonly usage?: { readonly input: number; readonly output: number } | null
    readonly model?: string
  }
  /** An error status with a body (xAI's `{"code","error"}` by default). */
  | { readonly kind: "status"; readonly status: number; readonly body?: string; readonly retryAfter?: string }
  /** 200 with this body as is (malformed JSON, wrong shapes). */
  | { readonly kind: "raw"; readonly body: string }
  /** Never answers (client timeouts). */
  | { readonly kind: "hang" }

interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly body: unknown
}

const defaultUsage = { input: 1200, output: 450 }

const answerBody = (reply: Extract<FakeXaiReply, { kind: "answer" }>) =>
  JSON.stringify({
    id: "resp_fake_1",
    object: "response",
    status: "completed",
    model: reply.model ?? "grok-4-fast-non-reasoning",
    output: [
      { type: "web_search_call", id: "ws_1", status: "completed" },
      {
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{
          type: "output_text",
          text: reply.text,
          annotations: (reply.annotations ?? []).map((annotation, index) => ({
            type: "url_citation",
            url: annotation.url,
            ...(annotation.title === undefined ? {} : { title: annotation.title }),
            start_index: index,
            end_index: index + 1
          }))
        }]
      }
    ],
    citations: reply.citations ?? [],
    usage: reply.usage === null ? null : {
      input_tokens: (reply.usage ?? defaultUsage).input,
      output_tokens: (reply.usage ?? defaultUsage).output,
      total_tokens: (reply.usage ?? defaultUsage).input + (reply.usage ?? defaultUsage).output
    }
  })

/** Starts the fake; `url` is the API root to use as XAI_BASE_URL (it ends in `/v1`). */
export const startFakeXai = (apiKey: string) =>
  Effect.gen(function*() {
    const requests: Array<RecordedRequest> = []
    const script: Array<FakeXaiReply> = []
    const hanging = new Set<Http.ServerResponse>()

    const handle = (req: Http.IncomingMessage, res: Http.ServerResponse, raw: string) => {
      let body: unknown = raw
      if (raw !== "") {
        const parsed = Effect.runSync(Effect.result(Effect.try(() => JSON.parse(raw) as unknown)))
        body = parsed._tag === "Success" ? parsed.success : raw
      }
      requests.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, body })
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers })
        res.end(text)
      }
      if (req.method !== "POST" || req.url !== "/v1/responses") return send(404, JSON.stringify({ error: "not found" }))
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        return send(401, JSON.stringify({ code: "unauthorized", error: "Incorrect API key provided" }))
      }
      const reply: FakeXaiReply = script.shift() ?? { kind: "answer", text: "A default background summary." }
      switch (reply.kind) {
        case "answer":
          return send(200, answerBody(reply))
        case "raw":
          return send(200, reply.body)
        case "hang":
          hanging.add(res)
          return
        case "status":
          return send(
            reply.status,
            reply.body ?? JSON.stringify({ code: `status ${reply.status}`, error: `scripted ${reply.status}` }),
            reply.retryAfter === undefined ? {} : { "retry-after": reply.retryAfter }
          )
      }
    }

    const { url } = yield* scopedLoopbackServer(withBody(handle))
    // Destroys held-back responses; added after the server so that (finalizers run last-in first) it runs before
    // the server closes.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const res of hanging) res.destroy()
      })
    )
    return {
      url: `${url}/v1`,
      requests,
      /** Queues replies, used up in order by the next requests. */
      script: (...replies: ReadonlyArray<FakeXaiReply>) => {
        script.push(...replies)
      }
    }
  })

export type FakeXai = Effect.Success<ReturnType<typeof startFakeXai>>
