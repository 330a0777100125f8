/**
 * The dashboard's pages and bundle files (`src/api/server/dashboard-routes.ts`) over real sockets: the whole service
 * serving a small stand-in build, and the dashboard routes alone on a folder with no build.
 */
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { contentSecurityPolicy, dashboardPage, DashboardDist, DashboardRoutes, indexHtml } from "../../src/api/server/dashboard-routes.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

const indexPage = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>fishcloud</title>
    <script type="module" src="/assets/index-Ab12.js"></script>
  </head>
  <body><div id="root"></div></body>
</html>
`
const script = "console.log('dashboard')"
const styles = "body { margin: 0 }"

/** A folder shaped like `dashboard/dist`, next to a secret the routes must never serve. */
const standInBuild = Effect.acquireRelease(
  Effect.promise(async () => {
    const parent = await Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-dashboard-"))
    const dist = NodePath.join(parent, "dist")
    await Fs.mkdir(NodePath.join(dist, "assets"), { recursive: true })
    await Fs.writeFile(NodePath.join(dist, "index.html"), indexPage)
    await Fs.writeFile(NodePath.join(dist, "assets", "index-Ab12.js"), script)
    await Fs.writeFile(NodePath.join(dist, "assets", "index-Cd34.css"), styles)
    await Fs.writeFile(NodePath.join(dist, "secret.txt"), "do not serve")
    await Fs.writeFile(NodePath.join(parent, "package.json"), "{\"secret\": true}")
    return { parent, dist }
  }),
  ({ parent }) => Effect.promise(() => Fs.rm(parent, { recursive: true, force: true }))
)

class Build extends Context.Service<Build, { readonly dist: string }>()("test/DashboardBuild") {}

const ServiceWithBuild = Layer.unwrap(Effect.gen(function*() {
  const { dist } = yield* standInBuild
  return TestServiceLive().pipe(
    Layer.provide(Layer.succeed(DashboardDist)(dist)),
    Layer.merge(Layer.succeed(Build)({ dist }))
  )
}))

/**
 * A request sent exactly as written: `fetch` would normalise `..` and percent-escapes away before sending, and the
 * point here is what the server does with them.
 */
const rawGet = (baseUrl: string, path: string) =>
  Effect.callback<{ readonly status: number; readonly body: string; readonly headers: Http.IncomingHttpHeaders }>((resume) => {
    const url = new URL(baseUrl)
    const request = Http.request({ host: url.hostname, port: url.port, path, method: "GET" }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resume(Effect.succeed({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: response.headers })))
    })
    request.on("error", (error) => resume(Effect.die(error)))
    request.end()
  })

layer(ServiceWithBuild, { excludeTestServices: true })("the dashboard, built", (it) => {
  it.effect("/ and the SPA's own paths answer index.html, not cached, with the dashboard's CSP", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      for (const path of ["/", "/jobs", "/jobs/12", "/new", "/sign-in"]) {
        const reply = yield* service.call("GET", path)
        assert.strictEqual(reply.status, 200, path)
        assert.strictEqual(reply.headers.get("content-type"), "text/html; charset=utf-8", path)
        assert.strictEqual(reply.headers.get("cache-control"), "no-cache", path)
        assert.strictEqual(reply.headers.get("content-security-policy"), contentSecurityPolicy, path)
        assert.strictEqual(reply.text, indexPage, path)
      }
      assert.include(contentSecurityPolicy, "frame-ancestors 'none'")
    }))

  it.effect("the share page of an unknown token is the dashboard's page with a 404, not a problem body", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", `/s/${"x".repeat(43)}`)
      assert.strictEqual(reply.status, 404)
      assert.strictEqual(reply.headers.get("content-type"), "text/html; charset=utf-8")
      assert.strictEqual(reply.headers.get("content-security-policy"), contentSecurityPolicy)
      assert.strictEqual(reply.text, indexPage)
    }))

  it.effect("a bundle file is served with its content type and an immutable cache header", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const js = yield* service.call("GET", "/assets/index-Ab12.js")
      assert.strictEqual(js.status, 200)
      assert.strictEqual(js.text, script)
      assert.strictEqual(js.headers.get("content-type"), "text/javascript; charset=utf-8")
      assert.strictEqual(js.headers.get("cache-control"), "public, max-age=31536000, immutable")
      const css = yield* service.call("GET", "/assets/index-Cd34.css?v=1")
      assert.strictEqual(css.status, 200)
      assert.strictEqual(css.headers.get("content-type"), "text/css; charset=utf-8")
      assert.strictEqual(css.text, styles)
    }))

  it.effect("an unknown bundle file is a 404 problem", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", "/assets/index-missing.js")
      assert.strictEqual(reply.status, 404)
      assert.strictEqual(reply.headers.get("content-type"), "application/problem+json")
    }))

  it.effect("no path reaches a file outside dist/assets", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const attempts = [
        "/assets/../package.json",
        "/assets/../../package.json",
        "/assets/../secret.txt",
        "/assets/..%2fsecret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
        "/assets/..\\secret.txt",
        "/assets/.",
        "/assets/",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/jobs/../../package.json"
      ]
      for (const path of attempts) {
        const reply = yield* rawGet(service.baseUrl, path)
        assert.notInclude(reply.body, "\"secret\": true", path)
        assert.notInclude(reply.body, "do not serve", path)
        assert.notInclude(reply.body, "root:", path)
        // Either a 404 or, for paths the router normalises onto a page, the page itself.
        assert.isTrue(reply.status === 404 || reply.body === indexPage, `${path}: ${reply.status} ${reply.body}`)
      }
    }))

  it.effect("the API still answers beside the pages", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const health = yield* service.call("GET", "/api/health")
      assert.strictEqual(health.status, 200)
      const unknown = yield* service.call("GET", "/api/nothing-here")
      assert.strictEqual(unknown.status, 404)
      assert.strictEqual(unknown.headers.get("content-type"), "application/problem+json")
    }))

  it.effect("indexHtml puts escaped OpenGraph and Twitter tags and the title into the page", () =>
    Effect.gen(function*() {
      const { dist } = yield* Build
      const html = yield* indexHtml({
        title: "Will <the> council \"approve\"?",
        description: "Riders & merchants split",
        url: "http://127.0.0.1:8080/s/abc"
      }).pipe(Effect.provideService(DashboardDist, dist))
      assert.include(html, `<title>Will &lt;the&gt; council &quot;approve&quot;? · fishcloud</title>`)
      assert.include(html, `<meta property="og:title" content="Will &lt;the&gt; council &quot;approve&quot;?">`)
      assert.include(html, `<meta property="og:description" content="Riders &amp; merchants split">`)
      assert.include(html, `<meta property="og:url" content="http://127.0.0.1:8080/s/abc">`)
      assert.include(html, `<meta name="twitter:card" content="summary">`)
      assert.include(html, `<script type="module" src="/assets/index-Ab12.js"></script>`)
      assert.notInclude(html, "<the>")
      assert.strictEqual(yield* indexHtml().pipe(Effect.provideService(DashboardDist, dist)), indexPage)
      // What the share page's route answers with it: the same headers as every dashboard page.
      const page = dashboardPage(html)
      assert.strictEqual(page.headers["content-security-policy"], contentSecurityPolicy)
      assert.strictEqual(page.headers["cache-control"], "no-cache")
    }))
})

/** The dashboard routes alone, on a folder that holds no build. */
const RoutesWithoutBuild = Layer.unwrap(Effect.gen(function*() {
  const parent = yield* Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-no-dashboard-"))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )
  return HttpRouter.serve(DashboardRoutes, { disableLogger: true }).pipe(
    Layer.provide(Layer.succeed(DashboardDist)(NodePath.join(parent, "dist"))),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 }))
  )
}))

layer(RoutesWithoutBuild)("the dashboard, not built", (it) => {
  it.effect("/ answers a page saying how to build it, and assets are 404", () =>
    Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const address = server.address
      const baseUrl = address._tag === "UnixPathAddress" ? "" : `http://127.0.0.1:${address.port}`
      for (const path of ["/", "/jobs/3", "/new"]) {
        const reply = yield* Effect.promise(() => fetch(baseUrl + path))
        const text = yield* Effect.promise(() => reply.text())
        assert.strictEqual(reply.status, 200, path)
        assert.strictEqual(reply.headers.get("content-type"), "text/html; charset=utf-8")
        assert.strictEqual(reply.headers.get("content-security-policy"), contentSecurityPolicy)
        assert.include(text, "npm run build:dashboard")
      }
      const asset = yield* Effect.promise(() => fetch(`${baseUrl}/assets/index-Ab12.js`))
      assert.strictEqual(asset.status, 404)
    }))
})
