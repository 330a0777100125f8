/**
 * The web dashboard (`dashboard/`, built into `dashboard/dist/` by `npm run build:dashboard`, which `npm install`
 * runs as `prepare`; `docs/dashboard.md`): `GET /` and the SPA's own paths answer its index.html (`no-cache`, with the dashboard's
 * Content-Security-Policy), `/assets/*` the hashed bundle files (`immutable`). Only names listed in
 * `dashboard/dist/assets` are served, and a name with a slash, a leading dot or a percent sign is refused before
 * the folder is read, so no request reaches a file outside it. Without a build, the pages answer a short HTML page
 * saying how to build it. Files are read per request: a build made while the service runs is served at once.
 */
import { fileURLToPath } from "node:url"
import { Context, Effect, FileSystem, Option } from "effect"
import { HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { problem } from "./problem.ts"

/** Where the built dashboard is (tests point it at a folder of their own). */
export const DashboardDist = Context.Reference<string>("fishcloud/api/DashboardDist", {
  defaultValue: () => fileURLToPath(new URL("../../../dashboard/dist", import.meta.url))
})

/**
 * The paths the SPA routes itself; each answers index.html. The SPA's share page `/s/:token` is served by
 * `share-page.ts` with `indexHtml` and the shared job's OpenGraph tags.
 */
export const dashboardPaths = ["/", "/jobs", "/jobs/:id", "/new", "/sign-in"] as const

export const contentSecurityPolicy =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"

const pageHeaders = {
  "cache-control": "no-cache",
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  // Share links carry their token in the path: it must not leak to the sites a report links to.
  "referrer-policy": "no-referrer"
}

const assetHeaders = {
  "cache-control": "public, max-age=31536000, immutable",
  "x-content-type-options": "nosniff"
}

const contentTypes: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  webp: "image/webp",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  txt: "text/plain; charset=utf-8"
}

const contentTypeOf = (name: string) => contentTypes[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream"

/** A bundle file name as Vite writes them (`index-B1x2.js`): no slash, no leading dot, no percent-encoding. */
const assetName = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) =>
    char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char === '"' ? "&quot;" : "&#39;")

/** Answered for every dashboard page while `dashboard/dist` has no index.html. */
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>fishcloud: dashboard not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The dashboard is not built</h1>
<p>fishcloud's API is running, but the dashboard's bundle (<code>dashboard/dist</code>) is missing.
Build it with <code>npm run build:dashboard</code> (<code>npm install</code> builds it too), then reload this page.</p>
<p>The API is described at <a href="/docs">/docs</a>.</p></body></html>
`

export interface PageMeta {
  readonly title: string
  readonly description: string
  readonly url: string
}

const metaTags = (meta: PageMeta) => {
  const title = escapeHtml(meta.title)
  const description = escapeHtml(meta.description)
  const url = escapeHtml(meta.url)
  return [
    `<meta property="og:type" content="article">`,
    `<meta property="og:site_name" content="fishcloud">`,
    `<meta property="og:title" content="${title}">`,
    `<meta property="og:description" content="${description}">`,
    `<meta property="og:url" content="${url}">`,
    `<meta name="twitter:card" content="summary">`,
    `<meta name="twitter:title" content="${title}">`,
    `<meta name="twitter:description" content="${description}">`,
    `<meta name="description" content="${description}">`
  ].join("\n    ")
}

/**
 * The dashboard's index.html (or the "not built" page), with OpenGraph and Twitter tags for `meta` (HTML-escaped)
 * and its title when given: the public share page `/s/:token` passes the job's goal and key insight.
 */
export const indexHtml = Effect.fn("Dashboard.indexHtml")(function*(meta?: PageMeta) {
  const fs = yield* FileSystem.FileSystem
  const dist = yield* DashboardDist
  const html = yield* fs.readFileString(`${dist}/index.html`).pipe(
    Effect.catchTag("PlatformError", (error) =>
      error.reason._tag === "NotFound"
        ? Effect.succeed(notBuilt)
        : Effect.as(Effect.logError("cannot read the dashboard's index.html", error), notBuilt))
  )
  if (meta === undefined) return html
  return html
    .replace(/<title>[^<]*<\/title>/, `<title>${escapeHtml(meta.title)} · fishcloud</title>`)
    .replace("</head>", `    ${metaTags(meta)}\n  </head>`)
})

/** An HTML page of the dashboard, with its headers (CSP, no-cache). */
export const dashboardPage = (html: string) => HttpServerResponse.text(html, { contentType: "text/html; charset=utf-8", headers: pageHeaders })

const assetPrefix = "/assets/"

/** The requested asset name exactly as sent (neither decoded nor normalised), without the query. */
const requestedAsset = (request: HttpServerRequest.HttpServerRequest) => {
  const path = request.url.split(/[?#]/)[0] ?? ""
  return path.startsWith(assetPrefix) ? path.slice(assetPrefix.length) : ""
}

const noAsset = problem(404, "No such dashboard file", "not-found")

export const DashboardRoutes = HttpRouter.use((router) => Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dist = yield* DashboardDist
  const assetsDir = `${dist}/assets`

  const page = indexHtml().pipe(Effect.map(dashboardPage), Effect.provideService(FileSystem.FileSystem, fs))
  for (const path of dashboardPaths) yield* router.add("GET", path, page)

  /** The file's bytes when `name` is one of the built assets. */
  const readAsset = (name: string) =>
    Effect.gen(function*() {
      if (!assetName.test(name)) return Option.none()
      const listed = yield* fs.readDirectory(assetsDir).pipe(Effect.orElseSucceed((): Array<string> => []))
      if (!listed.includes(name)) return Option.none()
      return Option.some(yield* fs.readFile(`${assetsDir}/${name}`))
    })

  yield* router.add("GET", `${assetPrefix}*`, (request) => {
    const name = requestedAsset(request)
    return readAsset(name).pipe(
      Effect.map(Option.match({
        onNone: () => noAsset,
        onSome: (bytes) => HttpServerResponse.uint8Array(bytes, { contentType: contentTypeOf(name), headers: assetHeaders })
      })),
      Effect.catchTag("PlatformError", (error) =>
        Effect.as(Effect.logError("cannot read a dashboard file", error), problem(500, "The dashboard file could not be read"))),
      Effect.withSpan("Dashboard.asset", { attributes: { "dashboard.asset": name } })
    )
  })
}))
