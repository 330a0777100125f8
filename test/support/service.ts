/**
 * The whole service on a fresh database and a free port, with the recording lifecycle, for HTTP-level tests.
 * Requests go through real sockets: `client` is the typed client derived from the HttpApi definition (what a user of
 * the API gets), `call` is raw `fetch` for the tests where the HTTP itself is the point (body limits, malformed JSON,
 * headers, exact problem bodies).
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert } from "@effect/vitest"
import { Context, Effect, Layer, type LogLevel, Redacted, References } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, type HttpClientResponse, HttpServer } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Accounts } from "../../services/accounts.ts"
import { Api } from "../../src/api/definition.ts"
import { Authorization } from "../../src/api/security.ts"
import { type ServiceConfig, SettingsWith } from "../../src/config.ts"
import type { ReadinessPart } from "../../src/readiness.ts"
import { ServiceLive } from "../../src/server.ts"
import { TestDatabaseLive } from "./test-database.ts"
import { RecordingLifecycleLive } from "./recording-lifecycle.ts"

/** The client derived from `Api`, as the CLI uses it. */
export type ApiClient = HttpApiClient.ForApi<typeof Api>

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
  /**
   * The typed client on this service, sending `token` as a bearer token (no Authorization header without one).
   * Every error response it receives is checked to be an RFC 9457 problem (see `assertProblemResponse`).
   */
  readonly client: (token?: string) => Effect.Effect<ApiClient>
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

/**
 * What `assertProblem` (test/support/api-fixtures.ts) checks of a raw reply, for every error the typed client receives: the
 * client decodes an error by its status and `type` only, so the content type and the body's `status` and `title` are
 * checked here. The body is cached by the response, so the client decodes it afterwards as usual.
 */
const assertProblemResponse = (response: HttpClientResponse.HttpClientResponse) =>
  response.status < 400 ? Effect.void : Effect.gen(function*() {
    const text = yield* Effect.orDie(response.text)
    const where = `${response.request.method} ${response.request.url} answered ${response.status}: ${text}`
    assert.strictEqual(response.headers["content-type"], "application/problem+json", `not a problem: ${where}`)
    const body: unknown = JSON.parse(text)
    assert.isObject(body, where)
    const problem = body as Record<string, unknown>
    assert.strictEqual(problem["status"], response.status, where)
    assert.isString(problem["title"], where)
    assert.isString(problem["type"], where)
  })

const client = (baseUrl: string) => (token?: string): Effect.Effect<ApiClient> => {
  const bearer = HttpApiMiddleware.layerClient(
    Authorization,
    ({ next, request }) => next(token === undefined ? request : HttpClientRequest.bearerToken(request, token))
  )
  return HttpApiClient.make(Api, {
    transformClient: (http) => http.pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(baseUrl)), HttpClient.tap(assertProblemResponse))
  }).pipe(Effect.provide([bearer, FetchHttpClient.layer]))
}

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

/**
 * The service with `overrides` applied to the settings (port 0 and a temporary home are always used). `logLevel`
 * (default `Warn`) lets a test that reads the service's log see its INFO lines.
 */
export const TestServiceLive = (
  overrides: Partial<ServiceConfig> = {},
  options: { readonly logLevel?: LogLevel.LogLevel; readonly readinessParts?: ReadonlyArray<ReadinessPart> } = {}
) =>
  Layer.unwrap(Effect.gen(function*() {
    const home = yield* scopedHome
    // Tests keep many jobs of one user live (the recording lifecycle never ends them): no live-job quota unless asked.
    const settings = SettingsWith({ port: 0, host: "127.0.0.1", home, defaultMaxLiveJobs: 0, defaultMaxLiveJobsLarge: 0, ...overrides })
    const service = ServiceLive(TestDatabaseLive, RecordingLifecycleLive, options.readinessParts).pipe(Layer.provideMerge(settings))
    const handle = Layer.effect(TestService, Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const accounts = yield* Accounts
      const address = server.address
      const baseUrl = address._tag === "UnixPathAddress" ? "" : `http://127.0.0.1:${address.port}`
      return TestService.of({
        baseUrl,
        home,
        tokenFor: (user, options) =>
          accounts.issueToken(user, options).pipe(Effect.map((issued) => Redacted.value(issued.token)), Effect.orDie),
        client: client(baseUrl),
        call: call(baseUrl)
      })
    }))
    return handle.pipe(Layer.provideMerge(service))
  })).pipe(
    Layer.provide(options.logLevel === undefined ? QuietLogs : Layer.succeed(References.MinimumLogLevel, options.logLevel)),
    Layer.orDie
  )
