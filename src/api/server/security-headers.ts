/**
 * The security headers of every response, set in one place: a pre-response handler registered by a global
 * middleware, so the responses chosen outside the handlers (router errors, problems, the 500 of a defect, SSE,
 * `/storage/*`, `/docs`) get them too, not only what a handler returns.
 *
 * - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`: no content sniffing, no framing anywhere.
 * - `Referrer-Policy: no-referrer`: share links carry their token in the path; it must not leak to the sites a
 *   page links to.
 * - `Content-Security-Policy`: a response that chose its own keeps it (the dashboard's pages,
 *   `dashboard-routes.ts`); `/docs` gets `docsContentSecurityPolicy`; everything else (JSON, problems, objects,
 *   bundle files, SSE) `default-src 'none'; frame-ancestors 'none'`: nothing served as data may run as a page.
 * - `Cache-Control: no-store` on every `/api/` response: they answer for a token (a user's jobs, a session, a
 *   share link's job) or say something live; no browser or proxy may keep them. It replaces the SSE stream's
 *   `no-cache`.
 * - CORS (`cors.ts`), off unless CORS_ORIGINS lists origins. It lives in the same middleware so that a preflight
 *   it answers itself gets the headers above too.
 */
import { Effect, Layer } from "effect"
import { HttpEffect, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Settings } from "../../config.ts"
import { type CorsPolicy, corsPolicy } from "./cors.ts"

/** What a response that serves data (not a page) may do: nothing. */
export const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

/**
 * Swagger UI (effect's `HttpApiSwagger`) is one self-contained page whose script and styles are inline (the
 * bundle, then the spec as an inert `application/json` script), so it needs `'unsafe-inline'` for scripts and
 * styles. The page holds nothing but our own OpenAPI document, HTML-escaped by Effect, and takes no input into the
 * markup; a hash of the inline script would break on every Effect upgrade. It loads nothing from elsewhere,
 * draws its icons from `data:` images, and "Try it out" calls this origin only.
 */
export const docsContentSecurityPolicy =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const docsPath = "/docs"

const pathOf = (request: HttpServerRequest.HttpServerRequest) => request.url.split("?")[0] ?? request.url

/** `Vary` values joined without repeats. */
const joinVary = (existing: string | undefined, added: string | undefined) => {
  const names = [existing, added].flatMap((value) => (value ?? "").split(",")).map((name) => name.trim()).filter((name) => name !== "")
  return [...new Set(names)].join(", ")
}

const withSecurityHeaders = (cors: CorsPolicy) =>
(request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => {
  const path = pathOf(request)
  const policy = response.headers["content-security-policy"] ??
    (path === docsPath ? docsContentSecurityPolicy : apiContentSecurityPolicy)
  const { vary, ...corsHeaders } = cors.responseHeaders(request)
  const headers: Record<string, string> = {
    ...corsHeaders,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": policy
  }
  if (vary !== undefined) headers["vary"] = joinVary(response.headers["vary"], vary)
  if (path.startsWith("/api/")) headers["cache-control"] = "no-store"
  return Effect.succeed(HttpServerResponse.setHeaders(response, headers))
}

/**
 * The global middleware that sets the headers on whatever response a request ends with, and answers the
 * preflights of the origins CORS_ORIGINS lists (204).
 */
export const ResponseHeaders = Layer.unwrap(Effect.gen(function*() {
  const { corsOrigins } = yield* Settings
  const cors = corsPolicy(corsOrigins)
  const addHeaders = withSecurityHeaders(cors)
  return HttpRouter.middleware((httpEffect) =>
    Effect.flatMap(HttpEffect.appendPreResponseHandler(addHeaders), () =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const preflight = cors.preflight(request)
        return preflight === undefined ? httpEffect : Effect.succeed(HttpServerResponse.empty({ status: 204, headers: preflight }))
      })), { global: true })
}))
