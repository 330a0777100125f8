/**
 * The pod worker in-process on a free loopback port with a temporary data dir, or as a process from its entry point,
 * driven over real HTTP with `fetch` (with the test worker secret as bearer unless a test says otherwise); plus the
 * small servers a pod talks to: an upload receiver (records presigned PUTs) and a fake OpenAI-compatible LLM backend
 * (answers `/v1/models` and chat completions with tool calls).
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Context, Effect, Layer, Option, Redacted, References } from "effect"
import { HttpServer } from "effect/http"
import type { JobRequest, StatusReply } from "../../src/domain/pod-protocol.ts"
import { idleShutdown } from "../../src/pod-worker/idle-watch.ts"
import { type PodWorkerConfig, PodWorkerSettingsWith } from "../../src/pod-worker/pod-worker-config.ts"
import { listeningUrl, PodWorkerLive } from "../../src/pod-worker/server/pod-worker-server.ts"

const root = NodePath.resolve(import.meta.dirname, "../..")

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

/** The secret every test worker is started with (`POD_WORKER_SECRET`). */
export const testWorkerSecret = Redacted.make("test-pod-worker-secret-7f3a9c")

/** `Authorization: Bearer <secret>` for `secret`; none for `null`. */
const authorization = (secret: Redacted.Redacted<string> | null): Record<string, string> =>
  secret === null ? {} : { authorization: `Bearer ${Redacted.value(secret)}` }

/** GET with the test worker secret, another secret, or none (`null`). */
export const get = (url: string, secret: Redacted.Redacted<string> | null = testWorkerSecret) =>
  Effect.promise(async () => toReply(await fetch(url, { headers: authorization(secret) })))

export const post = (url: string, body: unknown, secret: Redacted.Redacted<string> | null = testWorkerSecret) =>
  Effect.promise(async () =>
    toReply(
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...authorization(secret) },
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
  /** The worker's dead-man's switch (`idleShutdown`): ends, with the reason, when the worker would stop. */
  readonly idle: Effect.Effect<string>
}

/**
 * Starts a worker for the rest of the test's scope. Defaults suit tests: loopback, port 0, a fresh home, the test
 * worker secret, 10 ms rounds, 20 ms between upload attempts, 10 ms LLM back-off; logs at Warn and above only.
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
      secret: testWorkerSecret,
      ...overrides,
      home: Option.some(home)
    })
    const context = yield* Layer.build(
      PodWorkerLive.pipe(Layer.provideMerge(settings), Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))
    )
    return {
      url: listeningUrl(Context.get(context, HttpServer.HttpServer)),
      home,
      idle: idleShutdown.pipe(Effect.provideContext(context))
    } satisfies Worker
  }).pipe(Effect.orDie)

export interface WorkerProcess {
  readonly url: string
  readonly child: ChildProcess.ChildProcess
  /** Everything it wrote to stdout and stderr so far. */
  readonly output: () => string
}

/** The worker's environment for a process test: loopback, a free port, the test secret, 100 ms rounds. */
const processEnv = (home: string, env: Record<string, string | undefined>) => {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    POD_WORKER_HOST: "127.0.0.1",
    POD_WORKER_PORT: "0",
    POD_WORKER_HOME: home,
    POD_WORKER_ROUND_DELAY_MS: "100",
    POD_WORKER_SECRET: Redacted.value(testWorkerSecret),
    ...env
  }
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

const spawnProcess = (home: string, command: ReadonlyArray<string>, env: Record<string, string | undefined>) => {
  const child = ChildProcess.spawn(command[0]!, command.slice(1), { cwd: root, env: processEnv(home, env), stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  const listeners: Array<() => void> = []
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8")
    for (const listener of listeners) listener()
  }
  child.stdout.on("data", onData)
  child.stderr.on("data", onData)
  return { child, output: () => output, onOutput: (listener: () => void) => listeners.push(listener) }
}

const workerEntry = [process.execPath, "src/pod-worker/main.ts"]

/**
 * Runs `command` (`node src/pod-worker/main.ts` by default) until it logs where the worker listens;
 * killed with the test's scope. `env` adds to (or, with `undefined`, removes from) the test defaults.
 */
export const spawnWorker = (
  home: string,
  command: ReadonlyArray<string> = workerEntry,
  env: Record<string, string | undefined> = {}
) =>
  Effect.acquireRelease(
    Effect.callback<WorkerProcess>((resume) => {
      const spawned = spawnProcess(home, command, env)
      spawned.onOutput(() => {
        const found = /pod worker listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(spawned.output())
        if (found !== null) resume(Effect.succeed({ url: `http://127.0.0.1:${found[1]}`, child: spawned.child, output: spawned.output }))
      })
      spawned.child.once("exit", (code) =>
        resume(Effect.die(new Error(`the worker exited (${code}) before listening:\n${spawned.output()}`))))
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** The process's exit code, once it has exited. */
export const exited = (child: ChildProcess.ChildProcess) =>
  Effect.callback<number | null>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

/** Runs the worker's entry point with `env` until it exits (within `withinMs`): its exit code and output. */
export const runWorkerToExit = (home: string, env: Record<string, string | undefined>, withinMs = 30_000) =>
  Effect.acquireUseRelease(
    Effect.sync(() => spawnProcess(home, workerEntry, env)),
    (spawned) =>
      exited(spawned.child).pipe(
        Effect.timeoutOrElse({
          duration: withinMs,
          orElse: () => Effect.die(new Error(`the worker did not exit within ${withinMs} ms:\n${spawned.output()}`))
        }),
        Effect.map((code) => ({ code, output: spawned.output() }))
      ),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

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
