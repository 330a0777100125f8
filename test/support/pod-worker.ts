/**
 * The pod worker in-process on a free loopback port with a temporary data dir, driven over real HTTP with `fetch`;
 * plus the small servers a pod talks to: an upload receiver (records presigned PUTs) and a fake OpenAI-compatible
 * LLM backend (answers `/v1/models` and chat completions with tool calls).
 */
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Context, Effect, Layer, Option, References } from "effect"
import { HttpServer } from "effect/http"
import type { JobRequest, StatusReply } from "../../src/domain/pod-protocol.ts"
import { type PodWorkerConfig, PodWorkerSettingsWith } from "../../src/pod-worker/pod-worker-config.ts"
import { listeningUrl, PodWorkerLive } from "../../src/pod-worker/server/pod-worker-server.ts"

export interface Reply {
  readonly status: number
  readonly json: any
}

const toReply = async (response: Response): Promise<Reply> => {
  const text = await response.text()
  let json: unknown = undefined
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    json = text
  }
  return { status: response.status, json }
}

export const get = (url: string) => Effect.promise(async () => toReply(await fetch(url)))

export const post = (url: string, body: unknown) =>
  Effect.promise(async () =>
    toReply(
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body)
      })
    )
  )

export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), prefix))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )

export interface Worker {
  readonly url: string
  readonly home: string
}

/**
 * Starts a worker for the rest of the test's scope. Defaults suit tests: loopback, port 0, a fresh home, 10 ms
 * rounds, 20 ms between upload attempts, 10 ms LLM back-off; logs at Warn and above only.
 */
export const startWorker = (overrides: Partial<PodWorkerConfig> = {}) =>
  Effect.gen(function*() {
    const home = Option.getOrUndefined(overrides.home ?? Option.none()) ?? (yield* tempDir("pod-worker-test-"))
    const settings = PodWorkerSettingsWith({
      host: "127.0.0.1",
      port: 0,
      roundDelayMs: 10,
      uploadRetryMs: 20,
      uploadAttempts: 3,
      llmRetryMs: 10,
      llmModelName: Option.none(),
      llmBaseUrl: Option.none(),
      llmApiKey: Option.none(),
      vllmLogFile: Option.none(),
      ...overrides,
      home: Option.some(home)
    })
    const context = yield* Layer.build(
      PodWorkerLive.pipe(Layer.provide(settings), Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))
    )
    return { url: listeningUrl(Context.get(context, HttpServer.HttpServer)), home } satisfies Worker
  }).pipe(Effect.orDie)

export const market = (id: string, question: string, initial_price_yes: number) => ({
  id,
  question,
  initial_price_yes,
  rationale: `why ${id}`
})

export const seedText = [
  "The Port Authority of Rotterdam plans a new tram line to the harbour.",
  "Mayor Ahmed Aboutaleb backs the plan, but the Dock Workers Union fears job losses.",
  "The city council will vote in March.",
  "Analysts at ING Bank expect strong growth if the line opens.",
  "The Dock Workers Union threatens a strike if the Port Authority of Rotterdam cuts shifts."
].join(" ")

export const jobRequest = (overrides: Partial<JobRequest> = {}): JobRequest => ({
  seed_text: seedText,
  goal: "Will the tram line be approved by June?",
  max_rounds: 6,
  forecast_days: 30,
  target_agents: 6,
  upload_urls: {},
  markets_config: [
    market("m1", "Will the council approve the tram line by June?", 0.55),
    market("m2", "Will dock workers strike before the vote?", 0.3)
  ],
  timeout_seconds: 60,
  random_seed: 7,
  ...overrides
})

/** Polls the worker's own `/status` (every 20 ms, up to `withinMs`) until it leaves `running`. */
export const waitUntilDone = (workerUrl: string, withinMs = 30_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + withinMs
    while (Date.now() < deadline) {
      const reply = yield* get(`${workerUrl}/status`)
      const body = reply.json as StatusReply
      if (body.status === "completed" || body.status === "failed") return body
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error(`the worker did not finish within ${withinMs} ms`))
  })

const listen = (handler: Http.RequestListener) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<Http.Server>((resolve) => {
        const server = Http.createServer(handler)
        server.listen(0, "127.0.0.1", () => resolve(server))
      })
    ),
    (server) =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
      )
  ).pipe(Effect.map((server) => {
    const address = server.address()
    return `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
  }))

const readBody = (request: Http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

export interface Put {
  readonly path: string
  readonly query: string
  readonly contentType: string | undefined
  readonly body: string
}

/** An object store stand-in: records every PUT and answers `status` (200 unless told otherwise), or never. */
export const uploadReceiver = (status: number | "never" = 200) =>
  Effect.gen(function*() {
    const puts: Array<Put> = []
    const url = yield* listen((request, response) => {
      void readBody(request).then((body) => {
        const target = new URL(request.url ?? "/", "http://receiver")
        if (request.method === "PUT") {
          puts.push({ path: target.pathname, query: target.search, contentType: request.headers["content-type"], body })
        }
        if (status !== "never") response.writeHead(request.method === "PUT" ? status : 405).end()
      })
    })
    /** Presigned-looking URLs for the ten files under `prefix`. */
    const urlsFor = (prefix: string, files: ReadonlyArray<string>) =>
      Object.fromEntries(files.map((file) => [file, `${url}/${prefix}/${file}?X-Amz-Signature=secret-${prefix}`]))
    return { url, puts, urlsFor }
  })

interface ChatCall {
  readonly authorization: string | undefined
  readonly body: any
}

/**
 * A fake OpenAI-compatible backend under `/v1`. `/v1/models` answers 503 until `ready` is set. Chat completions
 * follow `answer(call number, request body)`: a status to fail with, or a tool call (name + raw arguments).
 */
export const fakeLlm = (
  answer: (n: number, body: any) => { readonly status: number } | { readonly tool: string; readonly args: string }
) =>
  Effect.gen(function*() {
    const state = { ready: false }
    const calls: Array<ChatCall> = []
    const url = yield* listen((request, response) => {
      void readBody(request).then((text) => {
        const json = (status: number, body: unknown) =>
          response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
        if (request.method === "GET" && request.url === "/v1/models") {
          return state.ready
            ? json(200, { object: "list", data: [{ id: "fake-model", object: "model" }] })
            : json(503, { error: "loading" })
        }
        if (request.method === "POST" && request.url === "/v1/chat/completions") {
          const body = JSON.parse(text)
          calls.push({ authorization: request.headers["authorization"], body })
          const chosen = answer(calls.length, body)
          if ("status" in chosen) return json(chosen.status, { error: { message: "boom" } })
          return json(200, {
            id: `chatcmpl-${calls.length}`,
            object: "chat.completion",
            choices: [{
              index: 0,
              finish_reason: "tool_calls",
              message: {
                role: "assistant",
                content: null,
                tool_calls: [{ id: `call-${calls.length}`, type: "function", function: { name: chosen.tool, arguments: chosen.args } }]
              }
            }],
            usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 }
          })
        }
        json(404, { error: "not found" })
      })
    })
    return { url: `${url}/v1`, calls, state }
  })
