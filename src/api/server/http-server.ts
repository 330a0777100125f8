/**
 * The HTTP server: the HttpApi routes, `/openapi.json`, `/docs`, the disk store's `/storage/*`, request body limits,
 * and problem+json bodies for the errors the router itself answers (unknown route, unreadable or oversized body) and
 * for defects (a bare 500).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { ByteSize, Cause, Duration, Effect, Exit, Layer } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiMiddleware, HttpApiSwagger } from "effect/http-api"
import { Settings } from "../../config.ts"
import { Api } from "../definition.ts"
import { busyRetryAfter } from "../limits.ts"
import { AdminAuditHandlers, AdminTokensHandlers, AdminUsersHandlers } from "./admin-handlers.ts"
import { AuthorizationLive } from "./authorization.ts"
import { createProblemServer } from "./client-errors.ts"
import { DashboardRoutes, dashboardPaths } from "./dashboard-routes.ts"
import { DraftsHandlers } from "./draft-handlers.ts"
import { EventRoutes, eventsPath, jobsEventsPath } from "./event-stream.ts"
import { JobsHandlers } from "./job-handlers.ts"
import { problem, problemContentType, statusTitles } from "./problem.ts"
import { RateLimitGuard } from "./rate-limit.ts"
import { ResultsHandlers } from "./result-handlers.ts"
import { RoutingHandlers } from "./routing-handlers.ts"
import { ResponseHeaders } from "./security-headers.ts"
import { SessionHandlers } from "./session-handlers.ts"
import { ShareHandlers } from "./share-handlers.ts"
import { SharePageRoute } from "./share-page.ts"
import { httpSpanNames } from "./span-names.ts"
import { isUpload, StorageRoutes } from "./storage-routes.ts"
import { SystemHandlers } from "./system-handlers.ts"
import { AdminQuotasHandlers, UsageHandlers } from "./usage-handlers.ts"

const detailFor = (status: number, maxBodyBytes: number) => {
  switch (status) {
    case 400:
      return "The request body is not valid JSON"
    case 404:
      return "No such route"
    case 413:
      return `The request body exceeds ${maxBodyBytes} bytes`
    default:
      return statusTitles[status] ?? "Request failed"
  }
}

/** The status of the router's own errors that clients should see as problems. */
const routerErrorStatus = (error: HttpServerError.HttpServerError): number | undefined => {
  const reason = error.reason
  if (reason._tag === "RouteNotFound") return 404
  if (reason._tag === "RequestParseError") return reason.reason === "BodyTooLarge" ? 413 : 400
  return undefined
}

const contentTypeOf = (response: HttpServerResponse.HttpServerResponse) =>
  response.headers["content-type"] ?? ("contentType" in response.body ? response.body.contentType : undefined) ?? ""

const isProblem = (response: HttpServerResponse.HttpServerResponse) => contentTypeOf(response).startsWith(problemContentType)

/** A dashboard page sent with an error status (the share page of an unknown token): the page itself says "not found". */
const isDashboardPage = (response: HttpServerResponse.HttpServerResponse) => contentTypeOf(response).startsWith("text/html")

/** The detail for an error answered without a problem body: its short text, else a generic line. */
const plainDetail = (response: HttpServerResponse.HttpServerResponse, maxBodyBytes: number) =>
  Effect.succeed(
    response.body._tag === "Uint8Array" && response.body.body.length > 0 && response.body.body.length <= 500
      ? new TextDecoder().decode(response.body.body)
      : detailFor(response.status, maxBodyBytes)
  )

/** A defect that no response was chosen for yet (Effect sends an `HttpServerResponse` found among the defects). */
const isUnansweredDefect = (cause: Cause.Cause<unknown>) =>
  Cause.hasDies(cause) &&
  !cause.reasons.some((reason) => Cause.isDieReason(reason) && HttpServerResponse.isHttpServerResponse(reason.defect))

/** Logs of a request name its path without the query, which may hold a signature. */
const pathOf = (request: HttpServerRequest.HttpServerRequest) => request.url.split("?")[0] ?? request.url

/**
 * One line per request, at DEBUG (LOG_LEVEL=debug: at 1,000 requests a second, a JSON line each is a thousand writes
 * to stdout a second), and at ERROR with its cause when a request died. A client that went away is not logged.
 */
const logRequest = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.onExit((exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>) => {
    const where = { "http.method": request.method, "http.url": pathOf(request) }
    if (Exit.isSuccess(exit)) return Effect.logDebug("Sent HTTP response").pipe(Effect.annotateLogs({ ...where, "http.status": exit.value.status }))
    if (Cause.hasInterruptsOnly(exit.cause)) return Effect.void
    // The 500 answered for a defect travels in the cause; the log shows the defect only.
    const cause = Cause.fromReasons(exit.cause.reasons.filter((reason) =>
      !(Cause.isDieReason(reason) && HttpServerResponse.isHttpServerResponse(reason.defect))))
    return Effect.logError("HTTP request failed", cause).pipe(Effect.annotateLogs(where))
  })

/**
 * Caps request bodies (a declared Content-Length over the cap is refused before reading; a chunked body is cut
 * while reading) and turns every error response that is not already a problem (router errors, 415, ...) into a
 * problem+json body, so clients always get a machine-readable reason. Uploads to `/storage/` have their own cap.
 *
 * A defect (a database failure: the stores make those defects; or a bug) answers a 500 problem that says nothing
 * more, so no SQL, message or secret of the defect reaches the client. The defect stays the request's failure, so
 * `logRequest` logs it and the request's span fails with it.
 */
const RequestGuards = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* Settings
  return HttpRouter.middleware<{ handles: HttpServerError.HttpServerError }>()((httpEffect) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => Effect.gen(function*() {
      const maxBodyBytes = isUpload(request) ? settings.maxUploadBytes : settings.maxBodyBytes
      const declared = Number(request.headers["content-length"] ?? "0")
      if (declared > maxBodyBytes) return problem(413, detailFor(413, maxBodyBytes))
      const response = yield* httpEffect.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBodyBytes)),
        Effect.catchTag("HttpServerError", (error) => {
          const status = routerErrorStatus(error)
          return status === undefined ? Effect.fail(error) : Effect.succeed(problem(status, detailFor(status, maxBodyBytes)))
        }),
        // HttpApi reads JSON bodies with `orDie`, so an oversized body arrives here as a defect.
        Effect.catchDefect((defect) => {
          const status = HttpServerError.isHttpServerError(defect) ? routerErrorStatus(defect) : undefined
          return status === undefined ? Effect.die(defect) : Effect.succeed(problem(status, detailFor(status, maxBodyBytes)))
        }),
        Effect.catchCauseIf(isUnansweredDefect, (cause) =>
          Effect.failCause(Cause.combine(cause, Cause.die(problem(500, detailFor(500, maxBodyBytes))))))
      )
      const answer = response.status >= 400 && !isProblem(response) && !isDashboardPage(response)
        ? problem(response.status, yield* plainDetail(response, maxBodyBytes))
        : response
      // A 503 is back-pressure (`ServiceBusy`): say when to come back.
      return answer.status === 503 ? HttpServerResponse.setHeader(answer, "retry-after", String(Duration.toSeconds(busyRetryAfter))) : answer
    }).pipe(logRequest(request))), { global: true })
}))

const ApiRoutes = HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide([JobsHandlers, ResultsHandlers, ShareHandlers, DraftsHandlers, RoutingHandlers, SystemHandlers, SessionHandlers, AdminUsersHandlers, AdminTokensHandlers, AdminAuditHandlers, UsageHandlers, AdminQuotasHandlers]),
  Layer.provide([AuthorizationLive, HttpApiMiddleware.layerProblemDetails({ includeDetails: true })])
)

const AllRoutes = Layer.mergeAll(ApiRoutes, HttpApiSwagger.layer(Api, { path: "/docs" }), StorageRoutes, EventRoutes, DashboardRoutes, SharePageRoute, RequestGuards,
  // Security headers and CORS on every response: security-headers.ts.
  ResponseHeaders,
  // Rate limits of /api/*, shared by every API process: rate-limit.ts.
  RateLimitGuard)

/** Serves every route on HOST:PORT (PORT 0 picks a free port; `HttpServer.address` tells which). */
export const HttpServerLive = Layer.unwrap(Effect.gen(function*() {
  const { host, port } = yield* Settings
  return HttpRouter.serve(AllRoutes, { disableLogger: true }).pipe(
    // Server spans named after the route template; query strings are redacted by Effect's defaults
    // (`UrlParams.CurrentRedactedNames`: `signature`, `X-Amz-Signature`, ... case-insensitive).
    Layer.provide(httpSpanNames(Api, [["GET", "/openapi.json"], ["GET", "/docs"], ["GET", eventsPath], ["GET", jobsEventsPath], ["PUT", "/storage/*"], ["GET", "/storage/*"], ["GET", "/assets/*"], ["GET", "/s/:token"], ...dashboardPaths.map((path) => ["GET", path] as const)])),
    Layer.provideMerge(NodeHttpServer.layer(createProblemServer, { host, port }))
  )
}))
