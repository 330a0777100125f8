/**
 * `PodWorkerClient` over HTTP: the protocol in `docs/lifecycle.md` ("The pod worker protocol") spoken to a real pod
 * worker (a local process or a RunPod pod behind its proxy). Every request carries the pod's secret as a bearer token;
 * Effect's HTTP client spans record no request header unless asked to (and Authorization as `<redacted>` even then),
 * and no message here quotes a header. Every answer is decoded with the protocol schemas; anything else is an error
 * whose message says what came back, never a crash.
 */
import { Duration, Effect, Layer, Schema } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { PodWorkerClient, PodWorkerError, type WorkerEndpoint } from "../../services/pod-worker-client.ts"
import { HealthReply, type JobRequest, LogsReply, PartialChatReply, StatusReply } from "../../src/domain/pod-protocol.ts"

/** Per-call timeouts: status is polled, so it must not hang the poll loop. */
const timeouts = {
  health: Duration.seconds(10),
  status: Duration.seconds(15),
  logs: Duration.seconds(10),
  submit: Duration.seconds(30)
}

const SubmitError = Schema.Struct({ error: Schema.optionalKey(Schema.String) })

const unreachable = (url: string) => (cause: unknown) =>
  new PodWorkerError({ reason: "unreachable", message: `${url}: ${cause instanceof Error ? cause.message : String(cause)}` })

const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, url: string) =>
  (response: HttpClientResponse.HttpClientResponse) =>
    response.json.pipe(
      Effect.flatMap(Schema.decodeUnknownEffect(schema)),
      Effect.mapError(() => new PodWorkerError({ reason: "malformed", status: response.status, message: `${url} answered ${response.status} with a body that is not the pod protocol` }))
    )

export const HttpPodWorkerClientLive = Layer.effect(
  PodWorkerClient,
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient

    const call = (worker: WorkerEndpoint, request: HttpClientRequest.HttpClientRequest, timeout: Duration.Duration) =>
      client.execute(worker.secret === undefined ? request : HttpClientRequest.bearerToken(request, worker.secret)).pipe(
        Effect.timeout(timeout),
        Effect.mapError(unreachable(request.url))
      )

    const expectOk = (response: HttpClientResponse.HttpClientResponse, url: string) =>
      response.status >= 200 && response.status < 300
        ? Effect.succeed(response)
        : Effect.fail(new PodWorkerError({ reason: "status", status: response.status, message: `${url} answered ${response.status}` }))

    return PodWorkerClient.of({
      health: Effect.fn("PodWorker.health")(function*(worker: WorkerEndpoint) {
        const url = `${worker.url}/health`
        // /health answers without the secret too; sending it tells the worker the service still cares (its idle timer).
        const response = yield* call(worker, HttpClientRequest.get(url), timeouts.health)
        // 503 is part of the protocol (waiting for vLLM): it carries the same body.
        if (response.status !== 200 && response.status !== 503) yield* expectOk(response, url)
        const reply = yield* decode(HealthReply, url)(response)
        return { ...reply, ready: response.status === 200 }
      }),
      submit: Effect.fn("PodWorker.submit")(function*(worker: WorkerEndpoint, job: JobRequest) {
        const url = `${worker.url}/job`
        const response = yield* call(worker, HttpClientRequest.post(url).pipe(HttpClientRequest.bodyJsonUnsafe(job)), timeouts.submit)
        if (response.status === 200 || response.status === 409) return { _tag: "Accepted" as const }
        const body = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
        const error = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(SubmitError))(body).pipe(
          Effect.map((parsed) => parsed.error ?? ""),
          Effect.orElseSucceed(() => body.slice(0, 2000))
        )
        // An empty error or "already running" means the pod has the job.
        if (error.trim() === "" || /already running/i.test(error)) return { _tag: "Accepted" as const }
        return { _tag: "Rejected" as const, reason: `${response.status}: ${error}` }
      }),
      status: Effect.fn("PodWorker.status")(function*(worker: WorkerEndpoint) {
        const url = `${worker.url}/status`
        const response = yield* call(worker, HttpClientRequest.get(url), timeouts.status)
        return yield* expectOk(response, url).pipe(Effect.flatMap(decode(StatusReply, url)))
      }),
      logs: Effect.fn("PodWorker.logs")(function*(worker: WorkerEndpoint, options: { readonly tail: number; readonly source: "all" | "pipeline" | "vllm" }) {
        const url = `${worker.url}/logs`
        const request = HttpClientRequest.get(url).pipe(HttpClientRequest.setUrlParams({ tail: String(options.tail), source: options.source }))
        const response = yield* call(worker, request, timeouts.logs)
        return yield* expectOk(response, url).pipe(Effect.flatMap(decode(LogsReply, url)))
      }),
      partialChat: Effect.fn("PodWorker.partialChat")(function*(worker: WorkerEndpoint, tail: number) {
        const url = `${worker.url}/partial_chat`
        const response = yield* call(worker, HttpClientRequest.get(url).pipe(HttpClientRequest.setUrlParams({ tail: String(tail) })), timeouts.logs)
        const reply = yield* expectOk(response, url).pipe(Effect.flatMap(decode(PartialChatReply, url)))
        return reply.messages
      })
    })
  })
).pipe(Layer.provide(FetchHttpClient.layer))
