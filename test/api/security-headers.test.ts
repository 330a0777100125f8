/**
 * The security headers every response carries (`src/api/server/security-headers.ts`), over real sockets: API JSON,
 * problems of the handlers and of the router, `/storage/*`, `/docs`, `/openapi.json`, the SSE stream, the dashboard's
 * pages and bundle files, the share page; and CORS (`src/api/server/cors.ts`): off by default, on for the listed
 * origins only.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, it as plainIt, layer } from "@effect/vitest"
import { describe } from "vitest"
import { ConfigProvider, Effect, Layer, Logger } from "effect"
import { SqlClient } from "effect/sql"
import { apiContentSecurityPolicy, docsContentSecurityPolicy } from "../../src/api/server/security-headers.ts"
import { contentSecurityPolicy, DashboardDist } from "../../src/api/server/dashboard-routes.ts"
import { ServiceConfig } from "../../src/config.ts"
import { jobBody } from "../support/api-fixtures.ts"
import { chromiumPath, noChromium, scopedBrowser, scopedPage } from "../support/browser.ts"
import { type Reply, TestService, TestServiceLive } from "../support/service.ts"

const standInDist = Effect.acquireRelease(
  Effect.promise(async () => {
    const dist = await Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-headers-dist-"))
    await Fs.mkdir(NodePath.join(dist, "assets"))
    await Fs.writeFile(NodePath.join(dist, "index.html"), "<!doctype html><title>fishcloud</title><div id=root></div>")
    await Fs.writeFile(NodePath.join(dist, "assets", "index-Ab12.js"), "console.log('dashboard')")
    return dist
  }),
  (dist) => Effect.promise(() => Fs.rm(dist, { recursive: true, force: true }))
)

const ServiceWith = (corsOrigins: ReadonlyArray<string>) =>
  Layer.unwrap(Effect.map(standInDist, (dist) => TestServiceLive({ corsOrigins }).pipe(Layer.provide(Layer.succeed(DashboardDist)(dist)))))

/** The headers no response may lack, whatever it is. */
const assertBaseHeaders = (reply: Reply, what: string) => {
  assert.strictEqual(reply.headers.get("x-content-type-options"), "nosniff", what)
  assert.strictEqual(reply.headers.get("x-frame-options"), "DENY", what)
  assert.strictEqual(reply.headers.get("referrer-policy"), "no-referrer", what)
  assert.include(reply.headers.get("content-security-policy") ?? "", "frame-ancestors 'none'", what)
}

const assertNoCors = (reply: Reply, what: string) => {
  const cors = [...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))
  assert.deepStrictEqual(cors, [], `${what}: no CORS header`)
}

/** The first bytes of a stream that never ends (SSE): its status and headers, then the connection is dropped. */
const openStream = (url: string, token: string) =>
  Effect.promise(async (): Promise<Reply> => {
    const abort = new AbortController()
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal })
    abort.abort()
    return { status: response.status, headers: response.headers, text: "", json: undefined }
  })

layer(ServiceWith([]), { excludeTestServices: true })("security headers (CORS off)", (it) => {
  it.effect("API JSON, problems, /openapi.json, /storage and SSE carry the headers and the API's CSP; the API is never cached", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("headers-owner")
      const created = yield* service.call("POST", "/api/jobs", { token, json: jobBody() })
      assert.strictEqual(created.status, 201, created.text)
      const jobId = (created.json as { id: number }).id

      const replies: Array<[string, Reply, { readonly api: boolean }]> = [
        ["API JSON", yield* service.call("GET", "/api/me", { token }), { api: true }],
        ["a created job", created, { api: true }],
        ["a health check", yield* service.call("GET", "/api/health"), { api: true }],
        ["a handler's problem", yield* service.call("GET", "/api/jobs/999999999", { token }), { api: true }],
        ["an unauthenticated problem", yield* service.call("GET", "/api/jobs"), { api: true }],
        ["a bad token's problem", yield* service.call("GET", "/api/jobs", { token: "not-a-token" }), { api: true }],
        ["the router's 404", yield* service.call("GET", "/api/no-such-route", { token }), { api: true }],
        ["a malformed body's problem", yield* service.call("POST", "/api/jobs", { token, body: "{", headers: { "content-type": "application/json" } }), { api: true }],
        ["the share API's problem", yield* service.call("GET", "/api/share/no-such-token"), { api: true }],
        ["the SSE stream", yield* openStream(`${service.baseUrl}/api/jobs/${jobId}/events`, token), { api: true }],
        ["/openapi.json", yield* service.call("GET", "/openapi.json"), { api: false }],
        ["an unsigned /storage read", yield* service.call("GET", "/storage/jobs/1/report.json"), { api: false }]
      ]
      for (const [what, reply, { api }] of replies) {
        assertBaseHeaders(reply, what)
        assert.strictEqual(reply.headers.get("content-security-policy"), apiContentSecurityPolicy, what)
        if (api) assert.strictEqual(reply.headers.get("cache-control"), "no-store", what)
        assertNoCors(reply, what)
      }
      assert.strictEqual(replies[9]![1].status, 200, "the SSE stream opened")
      assert.strictEqual(replies[9]![1].headers.get("content-type")?.split(";")[0], "text/event-stream")
    }))

  it.effect("the dashboard's pages keep their own CSP; bundle files, the share page and /docs get the headers too", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      for (const path of ["/", "/jobs/12", "/sign-in", "/s/no-such-token"]) {
        const reply = yield* service.call("GET", path)
        assert.strictEqual(reply.headers.get("content-type"), "text/html; charset=utf-8", path)
        assertBaseHeaders(reply, path)
        assert.strictEqual(reply.headers.get("content-security-policy"), contentSecurityPolicy, path)
        assertNoCors(reply, path)
      }
      const asset = yield* service.call("GET", "/assets/index-Ab12.js")
      assert.strictEqual(asset.status, 200)
      assertBaseHeaders(asset, "a bundle file")
      assert.strictEqual(asset.headers.get("cache-control"), "public, max-age=31536000, immutable", "bundle files stay cacheable")

      const docs = yield* service.call("GET", "/docs")
      assert.strictEqual(docs.status, 200)
      assertBaseHeaders(docs, "/docs")
      assert.strictEqual(docs.headers.get("content-security-policy"), docsContentSecurityPolicy)
      assert.include(docs.text, "SwaggerUIBundle", "/docs is Swagger UI")
    }))

  it.effect("a preflight from another origin gets no allow headers, and a cross-origin request no CORS header", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("headers-cors-off")
      const preflight = yield* service.call("OPTIONS", "/api/jobs", {
        headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization" }
      })
      assert.notStrictEqual(preflight.status, 204, "the preflight is not approved")
      assertNoCors(preflight, "the preflight")
      assertBaseHeaders(preflight, "the preflight")
      const read = yield* service.call("GET", "/api/jobs", { token, headers: { origin: "https://evil.example" } })
      assert.strictEqual(read.status, 200)
      assertNoCors(read, "a cross-origin read")
      assert.isNull(read.headers.get("vary"), "nothing varies by Origin with CORS off")
    }))
})

/** The defect below is logged at ERROR by design (test/api/request-log.test.ts); here it is only noise. */
const silent = Logger.layer([Logger.make(() => undefined)])

layer(ServiceWith([]).pipe(Layer.provide(silent)), { excludeTestServices: true })("security headers on a defect", (it) => {
  it.effect("the bare 500 answered for a request that died carries them too", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("headers-defect")
      const sql = yield* SqlClient.SqlClient
      yield* Effect.orDie(sql`ALTER TABLE simulation_jobs RENAME TO simulation_jobs_away`)
      const reply = yield* service.call("GET", "/api/jobs/1", { token })
      assert.strictEqual(reply.status, 500, reply.text)
      assertBaseHeaders(reply, "a defect's 500")
      assert.strictEqual(reply.headers.get("content-security-policy"), apiContentSecurityPolicy)
      assert.strictEqual(reply.headers.get("cache-control"), "no-store")
    }))
})

describe("CORS_ORIGINS", () => {
  const load = (env: Record<string, string>) =>
    Effect.gen(function*() {
      return yield* ServiceConfig
    }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

  plainIt.effect("unset or blank is no origin (CORS off); a comma list is trimmed", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* load({})).corsOrigins, [])
      assert.deepStrictEqual((yield* load({ CORS_ORIGINS: " " })).corsOrigins, [])
      assert.deepStrictEqual(
        (yield* load({ CORS_ORIGINS: "https://app.example, http://localhost:5173,http://[::1]:8081" })).corsOrigins,
        ["https://app.example", "http://localhost:5173", "http://[::1]:8081"]
      )
    }))

  plainIt.effect("an entry that is not an origin (a path, a trailing slash, a wildcard, no scheme) stops start-up naming the setting", () =>
    Effect.gen(function*() {
      for (const value of ["https://app.example/", "https://app.example/path", "*", "app.example", "https://a.example,ftp://b.example"]) {
        const error = yield* Effect.flip(load({ CORS_ORIGINS: value }))
        assert.include(String(error), "CORS_ORIGINS", value)
      }
    }))
})

const allowed = "https://app.example"

layer(ServiceWith([allowed, "http://localhost:5173"]), { excludeTestServices: true })("CORS for the listed origins", (it) => {
  it.effect("a listed origin's preflight is answered 204 with the methods and headers the API takes", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const preflight = yield* service.call("OPTIONS", "/api/jobs", {
        headers: { origin: allowed, "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" }
      })
      assert.strictEqual(preflight.status, 204)
      assert.strictEqual(preflight.headers.get("access-control-allow-origin"), allowed)
      assert.strictEqual(preflight.headers.get("vary"), "Origin")
      const methods = (preflight.headers.get("access-control-allow-methods") ?? "").split(/,\s*/)
      for (const method of ["GET", "POST", "DELETE"]) assert.include(methods, method)
      const headers = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/,\s*/)
      for (const header of ["authorization", "content-type", "idempotency-key", "last-event-id"]) assert.include(headers, header)
      assert.isNull(preflight.headers.get("access-control-allow-credentials"), "bearer tokens, no cookies: no credentials")
      assertBaseHeaders(preflight, "the preflight")
    }))

  it.effect("a listed origin's requests and errors echo it; any other origin gets no allow header; all vary by Origin", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("headers-cors-on")
      const read = yield* service.call("GET", "/api/jobs", { token, headers: { origin: "http://localhost:5173" } })
      assert.strictEqual(read.status, 200)
      assert.strictEqual(read.headers.get("access-control-allow-origin"), "http://localhost:5173", "the origin is echoed, not the list")
      assert.strictEqual(read.headers.get("vary"), "Origin")
      assert.include(read.headers.get("access-control-expose-headers") ?? "", "Retry-After")

      const refused = yield* service.call("GET", "/api/jobs", { headers: { origin: allowed } })
      assert.strictEqual(refused.status, 401)
      assert.strictEqual(refused.headers.get("access-control-allow-origin"), allowed, "a browser script can read why it was refused")

      for (const origin of ["https://evil.example", "https://app.example.evil.example", "https://app.example:8443", "null"]) {
        const preflight = yield* service.call("OPTIONS", "/api/jobs", { headers: { origin, "access-control-request-method": "POST" } })
        assert.notStrictEqual(preflight.status, 204, origin)
        assertNoCors(preflight, `a preflight from ${origin}`)
        const other = yield* service.call("GET", "/api/jobs", { token, headers: { origin } })
        assertNoCors(other, `a read from ${origin}`)
        assert.strictEqual(other.headers.get("vary"), "Origin", origin)
      }
      const sameOrigin = yield* service.call("GET", "/api/jobs", { token })
      assertNoCors(sameOrigin, "a request without Origin")
    }))
})

describe.skipIf(chromiumPath === undefined)(chromiumPath === undefined ? `/docs in a browser (skipped: ${noChromium})` : "/docs in a browser", () => {
  layer(TestServiceLive(), { excludeTestServices: true, timeout: 60_000 })("Swagger UI under its CSP", (it) => {
    it.effect("/docs renders the API's operations and the browser reports no CSP violation", () =>
      Effect.gen(function*() {
        const service = yield* TestService
        const browser = yield* scopedBrowser
        const { page } = yield* scopedPage(browser)
        const violations: Array<string> = []
        page.on("console", (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text())
        })
        const rendered = yield* Effect.promise(async () => {
          await page.goto(`${service.baseUrl}/docs`)
          await page.locator("#swagger-ui .opblock").first().waitFor({ state: "visible" })
          return page.locator("#swagger-ui .opblock").count()
        })
        assert.isAbove(rendered, 5, "the operations are listed")
        assert.deepStrictEqual(violations, [], "no CSP violation")
      }), 60_000)
  })
})
