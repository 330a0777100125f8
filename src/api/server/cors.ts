/**
 * CORS, off unless CORS_ORIGINS lists origins: with none, no response carries an `Access-Control-*` header and a
 * preflight is routed like any request (a 404 problem, no allow headers), so browsers keep pages of other sites
 * from reading the API. With origins listed, exactly those (compared as sent in `Origin`) may call the API from a
 * browser with a bearer token: no cookies are involved, so credentials are never allowed. Effect's
 * `HttpMiddleware.cors` is not used: with one origin it names that origin to every caller, and it answers every
 * `OPTIONS` 204 with the allowed methods whatever the origin.
 */
import type { HttpServerRequest } from "effect/http"

/** What a listed origin may send: the API's methods, and the headers its clients set. */
const corsAllowedMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const
const corsAllowedHeaders = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"] as const
/** Response headers a listed origin's script may read beyond the CORS-safelisted ones. */
const corsExposedHeaders = ["Location", "Retry-After", "RateLimit", "RateLimit-Policy", "Content-Disposition"] as const
/** How long a browser may keep a preflight's answer (seconds). */
const preflightMaxAge = 600

export interface CorsPolicy {
  /** Whether CORS_ORIGINS lists any origin (else no header is ever added). */
  readonly enabled: boolean
  /** The headers of a preflight, when it comes from a listed origin (answered 204); else undefined (routed as usual). */
  readonly preflight: (request: HttpServerRequest.HttpServerRequest) => Record<string, string> | undefined
  /** The headers added to an ordinary response. */
  readonly responseHeaders: (request: HttpServerRequest.HttpServerRequest) => Record<string, string>
}

const isPreflight = (request: HttpServerRequest.HttpServerRequest) =>
  request.method === "OPTIONS" && request.headers["origin"] !== undefined &&
  request.headers["access-control-request-method"] !== undefined

export const corsPolicy = (origins: ReadonlyArray<string>): CorsPolicy => {
  const listed = new Set(origins)
  const allowedOrigin = (request: HttpServerRequest.HttpServerRequest) => {
    const origin = request.headers["origin"]
    return origin !== undefined && listed.has(origin) ? origin : undefined
  }
  return {
    enabled: listed.size > 0,
    preflight: (request) => {
      const origin = isPreflight(request) ? allowedOrigin(request) : undefined
      return origin === undefined ? undefined : {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": corsAllowedMethods.join(", "),
        "access-control-allow-headers": corsAllowedHeaders.join(", "),
        "access-control-max-age": String(preflightMaxAge),
        vary: "Origin"
      }
    },
    responseHeaders: (request) => {
      if (listed.size === 0) return {}
      const origin = allowedOrigin(request)
      // The answer depends on the Origin header once CORS is on: caches must keep one per origin.
      return origin === undefined ? { vary: "Origin" } : {
        "access-control-allow-origin": origin,
        "access-control-expose-headers": corsExposedHeaders.join(", "),
        vary: "Origin"
      }
    }
  }
}
