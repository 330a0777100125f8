/**
 * The whole service on a fresh database and a free port, with the recording lifecycle, for HTTP-level tests.
 * Requests go through real sockets with `fetch`, so body limits, malformed JSON and headers are exercised for real.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Context, Effect, Layer, Redacted, References } from "effect"
import { HttpServer } from "effect/http"
import { Accounts } from "../../services/accounts.ts"
import { type ServiceConfig, Settings } from "../../src/config.ts"
import { makeService } from "../../src/server.ts"
import { TestDatabaseLive } from "./database.ts"
import { RecordingLifecycle } from "./recording-lifecycle.ts"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  readonly json: any
}

export interface CallOptions {
  readonly token?: string | undefined
  readonly json?: unknown
  readonly body?: string
  readonly headers?: Record<string, string>
}

export class TestService extends Context.Service<TestService, {
  readonly baseUrl: string
  readonly home: string
  /** A token for a (new or existing) user. */
  readonly tokenFor: (user: string, options?: { readonly admin?: boolean }) => Effect.Effect<string>
  readonly call: (method: string, path: string, options?: CallOptions) => Effect.Effect<Reply>
}>()("test/TestService") {}

const call = (baseUrl: string) => (method: string, path: string, options: CallOptions = {}) =>
  Effect.promise(async (): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
    let body: string | undefined = options.body
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers["content-type"] ??= "application/json"
    }
    return toReply(await fetch(baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }) }))
  })

/** Reads a fetch response into a `Reply` (the JSON body when there is one). */
export const toReply = async (response: Response): Promise<Reply> => {
  const text = await response.text()
  let json: unknown = undefined
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** Request logs would drown the test output; warnings and errors still show. */
const QuietLogs = Layer.succeed(References.MinimumLogLevel, "Warn")

const scopedHome = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-test-home-"))),
  (home) => Effect.promise(() => Fs.rm(home, { recursive: true, force: true }))
)

/** The service with `overrides` applied to the settings (port 0 and a temporary home are always used). */
export const testService = (overrides: Partial<ServiceConfig> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const home = yield* scopedHome
    const settings = Settings.layerWith({ port: 0, host: "127.0.0.1", home, ...overrides })
    const service = makeService(TestDatabaseLive, RecordingLifecycle).pipe(Layer.provideMerge(settings))
    const TestServiceLive = Layer.effect(TestService, Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const accounts = yield* Accounts
      const address = server.address
      const baseUrl = address._tag === "UnixPathAddress" ? "" : `http://127.0.0.1:${address.port}`
      return TestService.of({
        baseUrl,
        home,
        tokenFor: (user, options) =>
          accounts.issueToken(user, options).pipe(Effect.map((issued) => Redacted.value(issued.token)), Effect.orDie),
        call: call(baseUrl)
      })
    }))
    return TestServiceLive.pipe(Layer.provideMerge(service))
  })).pipe(Layer.provide(QuietLogs), Layer.orDie)
