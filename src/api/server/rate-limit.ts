/**
 * Rate limits of the API (`/api/*` but the liveness and readiness probes and CORS preflights), counted in the database so every API
 * process shares each budget: per bearer token, one budget for reads (GET, HEAD) and one for writes (POST, PUT,
 * PATCH, DELETE), RATE_LIMIT_READS_PER_MINUTE and RATE_LIMIT_WRITES_PER_MINUTE; requests without a known token, per
 * client address, RATE_LIMIT_ANONYMOUS_PER_MINUTE. 0 turns a budget off.
 *
 * Every limited response carries `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers: the
 * policy's quota `q` per window `w` seconds; the remaining `r` and the seconds `t` until the window resets); a
 * request past its budget answers 429 with a problem body and `Retry-After`. A database that does not answer lets
 * requests through (logged): the request then meets the same database and answers for itself.
 */
import * as Crypto from "node:crypto"
import { Effect, Layer, Option } from "effect"
import { HttpEffect, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { type RateBucket, type RateCount, RateLimits } from "../../../services/rate-limits.ts"
import { Settings } from "../../config.ts"
import { problemContentType } from "./problem.ts"

/** Windows are fixed minutes. */
const windowSeconds = 60

/** The probes an orchestrator polls are never limited. */
const unlimitedPaths = new Set(["/api/health", "/api/ready"])

/** CORS preflights carry no token and are no use on their own: not counted. */
const isLimited = (method: string, path: string) => method !== "OPTIONS" && path.startsWith("/api/") && !unlimitedPaths.has(path)

const readMethods = new Set(["GET", "HEAD"])

const bearerToken = (authorization: string | undefined) => {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  return match?.[1]
}

const sha256 = (text: string) => Crypto.createHash("sha256").update(text).digest("hex")

/** The RateLimit-Policy and RateLimit header values of a count against `limit` (draft-ietf-httpapi-ratelimit-headers). */
const rateLimitHeaders = (counted: RateCount, limit: number) => ({
  "ratelimit-policy": `"${counted.bucket}";q=${limit};w=${windowSeconds}`,
  "ratelimit": `"${counted.bucket}";r=${Math.max(0, limit - counted.count)};t=${counted.resetSeconds}`
})

const describe: Record<RateBucket, string> = {
  reads: "reads with this token",
  writes: "writes (creates, launches, retries, changes) with this token",
  anonymous: "requests without a valid token from your address"
}

const rateLimited = (counted: RateCount, limit: number) =>
  HttpServerResponse.jsonUnsafe(
    {
      type: "urn:fishcloud:problem:rate-limited",
      title: "Too many requests",
      status: 429,
      detail: `More than ${limit} ${describe[counted.bucket]} a minute; try again in ${counted.resetSeconds} s`,
      limit: counted.bucket,
      requests_per_minute: limit,
      retry_after_seconds: counted.resetSeconds
    },
    { status: 429, contentType: problemContentType }
  ).pipe(
    HttpServerResponse.setHeaders({ ...rateLimitHeaders(counted, limit), "retry-after": String(counted.resetSeconds) })
  )

/** The rate limits as one global middleware; no middleware at all when every budget is 0. */
export const RateLimitGuard = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* Settings
  const limits = yield* RateLimits
  const budgets: Record<RateBucket, number> = {
    reads: settings.rateLimitReadsPerMinute,
    writes: settings.rateLimitWritesPerMinute,
    anonymous: settings.rateLimitAnonymousPerMinute
  }
  if (Object.values(budgets).every((limit) => limit === 0)) return Layer.empty
  return HttpRouter.middleware()((httpEffect) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      if (!isLimited(request.method, request.url.split("?")[0] ?? request.url)) return httpEffect
      return Effect.gen(function*() {
        const token = bearerToken(request.headers["authorization"])
        const counted = yield* limits.count({
          tokenSha256: token === undefined ? undefined : sha256(token),
          address: Option.getOrElse(request.remoteAddress, () => "unknown"),
          kind: readMethods.has(request.method) ? "reads" : "writes"
        }).pipe(
          Effect.map(Option.some),
          Effect.catchDefect((defect) =>
            Effect.logWarning("rate limit not counted: the database did not answer", defect).pipe(Effect.as(Option.none())))
        )
        if (Option.isNone(counted)) return yield* httpEffect
        const limit = budgets[counted.value.bucket]
        if (limit === 0) return yield* httpEffect
        if (counted.value.count > limit) return rateLimited(counted.value, limit)
        const headers = rateLimitHeaders(counted.value, limit)
        return yield* HttpEffect.withPreResponseHandler(httpEffect, (_request, response) =>
          Effect.succeed(HttpServerResponse.setHeaders(response, headers)))
      })
    }), { global: true })
}))
