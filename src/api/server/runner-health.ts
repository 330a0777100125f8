/**
 * A runner's probes (`serve --role runner` with RUNNER_HEALTH_PORT): `GET /api/health` and `GET /api/ready` with the
 * same answers as the API's (`readiness-check.ts`), on a port of its own, and nothing else: a runner serves no API.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { JobStore } from "../../../services/job-store.ts"
import { version } from "../../version.ts"
import { problemContentType } from "./problem.ts"
import { missingParts, probeTimeout } from "./readiness-check.ts"

const RunnerProbeRoutes = HttpRouter.use((router) => Effect.gen(function*() {
  const store = yield* JobStore
  yield* router.add("GET", "/api/health", store.ping.pipe(
    Effect.timeoutOrElse({ duration: probeTimeout, orElse: () => Effect.succeed(false) }),
    Effect.map((connected) =>
      HttpServerResponse.jsonUnsafe(connected
        ? { status: "ok", version, database: "connected" }
        : { status: "degraded", version, database: "disconnected" })
    )
  ))
  yield* router.add("GET", "/api/ready", missingParts().pipe(
    Effect.map((missing) =>
      missing.length === 0
        ? HttpServerResponse.jsonUnsafe({ status: "ready", version })
        : HttpServerResponse.jsonUnsafe(
          {
            type: "urn:fishcloud:problem:not-ready",
            title: "The service is not ready yet",
            status: 503,
            detail: `Not ready: ${missing.join("; ")}`,
            missing
          },
          { status: 503, contentType: problemContentType }
        )
    )
  ))
}))

/** The probes on host:port (port 0 picks a free one; tests read it from `HttpServer.address`). */
export const RunnerHealthLive = (host: string, port: number) =>
  HttpRouter.serve(RunnerProbeRoutes, { disableLogger: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host, port }))
  )
