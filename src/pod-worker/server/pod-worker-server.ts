/**
 * The pod worker as one Layer: its services (settings come from outside), the bearer check, the routes, and the Node
 * HTTP server on POD_WORKER_HOST:POD_WORKER_PORT. Closing the layer's scope (SIGTERM under `NodeRuntime.runMain`, or
 * the dead-man's switch firing) stops the server and interrupts a running job.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpRouter, HttpServer } from "effect/http"
import { PodWorkerSettings } from "../pod-worker-config.ts"
import { PodWorkerHomeLive } from "../home.ts"
import { IdleWatchLive } from "../idle-watch.ts"
import { JobRunnerLive } from "../job-runner.ts"
import { LlmClientLive } from "../llm-client.ts"
import { PipelineLogLive } from "../logs.ts"
import { WorkerStateLive } from "../state.ts"
import { WorkerRoutes } from "./routes.ts"
import { WorkerAuthLive } from "./worker-auth.ts"

const WorkerServicesLive = JobRunnerLive.pipe(
  Layer.provideMerge(LlmClientLive),
  Layer.provideMerge(IdleWatchLive),
  Layer.provideMerge(Layer.mergeAll(WorkerStateLive, PipelineLogLive)),
  Layer.provideMerge(PodWorkerHomeLive),
  Layer.provideMerge(FetchHttpClient.layer),
  Layer.provideMerge(NodeServices.layer)
)

/** The URL a client on this machine reaches the server at. */
export const listeningUrl = (server: HttpServer.HttpServer["Service"]): string => {
  const address = server.address
  if (address._tag === "UnixPathAddress") return `unix:${address.path}`
  return `http://127.0.0.1:${address.port}`
}

const ListeningLog = Layer.effectDiscard(Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const { host } = yield* PodWorkerSettings
  const port = server.address._tag === "UnixPathAddress" ? 0 : server.address.port
  yield* Effect.logInfo(`pod worker listening on http://${host.includes(":") ? `[${host}]` : host}:${port}`)
}))

/** The whole worker; needs only its settings. */
export const PodWorkerLive = Layer.unwrap(Effect.gen(function*() {
  const { host, port } = yield* PodWorkerSettings
  return ListeningLog.pipe(
    Layer.provideMerge(HttpRouter.serve(Layer.merge(WorkerRoutes, WorkerAuthLive), { disableLogger: true, disableListenLog: true })),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host, port })),
    Layer.provideMerge(WorkerServicesLive)
  )
}))
