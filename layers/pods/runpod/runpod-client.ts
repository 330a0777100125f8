/**
 * The RunPod REST API v2 calls fishcloud makes (`docs/lifecycle.md`, "RunPod"):
 * `POST /pods`, `GET /pods/{id}`, `GET /pods`, `DELETE /pods/{id}`, relative to RUNPOD_API_URL
 * (`https://api.runpod.io/v2`). Bodies are decoded with the schemas below; every non-2xx answer becomes a
 * `RunPodRefused` carrying the RFC 9457 `detail`. The API key goes out only in the `Authorization` header,
 * which Effect's HTTP spans redact and never record by default.
 */
import { Clock, Duration, Effect, flow, Option, Redacted, Schema } from "effect"
import { Headers, HttpClient, type HttpClientError, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { runpodPolicy } from "./runpod-policy.ts"
import { parseRetryAfter, RunPodBadResponse, type RunPodFailure, RunPodRefused, RunPodUnreachable } from "./runpod-classify.ts"
import { rootCause } from "../../net/root-cause.ts"

/** Pools of the v2 `cloud` field (v2 has no `ALL`: that is "either", tried one after the other). */
export const RunPodCloud = Schema.Literals(["SECURE", "COMMUNITY"])
export type RunPodCloud = typeof RunPodCloud.Type

/** `CreatePodRequest`, the fields we send. No `mounts`: no network or persistent volume, so any datacenter fits. */
export const CreatePodBody = Schema.Struct({
  name: Schema.String,
  image: Schema.String,
  gpu: Schema.Struct({ id: Schema.String, count: Schema.Int }),
  cloud: RunPodCloud,
  /** Container disk, GB. */
  disk: Schema.Int,
  ports: Schema.Array(Schema.String),
  env: Schema.Record(Schema.String, Schema.String)
})
export type CreatePodBody = typeof CreatePodBody.Type

const RuntimePort = Schema.Struct({
  private: Schema.optional(Schema.Number),
  public: Schema.optional(Schema.NullOr(Schema.Number)),
  type: Schema.optional(Schema.String)
})

/** `PodRuntime`: null (or `{}`) until the container runs. */
const PodRuntime = Schema.Struct({
  uptime: Schema.optional(Schema.Number),
  ports: Schema.optional(Schema.Array(RuntimePort))
})
export type PodRuntime = typeof PodRuntime.Type

/** `Pod`, the fields we read. `status` stays a string so a state added during the v2 beta does not break decoding. */
export const RunPodPod = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  status: Schema.String,
  /** USD per hour; 0 once EXITED or TERMINATED. */
  cost: Schema.optional(Schema.Number),
  gpu: Schema.optional(Schema.Struct({ id: Schema.String })),
  cloud: Schema.optional(Schema.String),
  runtime: Schema.optional(Schema.NullOr(PodRuntime))
})
export type RunPodPod = typeof RunPodPod.Type

const ListPodsResponse = Schema.Struct({ pods: Schema.Array(RunPodPod) })

/** RFC 9457 problem (`ErrorResponse`): `title`, `status`, `detail`, optional `errors[]`. Read leniently. */
const Problem = Schema.Struct({
  title: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.Array(Schema.String))
})
const decodeProblem = Schema.decodeUnknownOption(Schema.fromJsonString(Problem))

/** The problem's words (detail, then validation errors), else the start of the raw body. */
const problemDetail = (body: string): string =>
  Option.match(decodeProblem(body), {
    onNone: () => body.trim().slice(0, 300) || "(empty body)",
    onSome: (problem) =>
      [problem.detail ?? problem.title ?? "(no detail)", ...(problem.errors ?? [])].join("; ")
  })

export interface RunPodClientOptions {
  /** RUNPOD_API_URL, no trailing slash. */
  readonly apiUrl: string
  readonly apiKey: Redacted.Redacted<string>
}


const requestFailure = (error: HttpClientError.HttpClientError): RunPodFailure => {
  if (error.reason._tag === "TransportError" || error.reason._tag === "InvalidUrlError" || error.reason._tag === "EncodeError") {
    const why = rootCause(error.reason.cause)
    return new RunPodUnreachable({ detail: why === undefined ? error.message : `${error.message}: ${why}` })
  }
  return new RunPodBadResponse({ status: error.response?.status ?? 0, detail: error.message })
}

export const makeRunPodClient = Effect.fnUntraced(function*(options: RunPodClientOptions) {
  const http = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(flow(
      HttpClientRequest.prependUrl(options.apiUrl),
      HttpClientRequest.acceptJson,
      HttpClientRequest.bearerToken(options.apiKey)
    ))
  )
  const timeout = runpodPolicy.requestTimeout

  /** Sends the request and reads the whole answer: a success's JSON, or a `RunPodRefused` for other statuses. */
  const send = <A>(
    request: HttpClientRequest.HttpClientRequest,
    onSuccess: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, RunPodFailure>
  ): Effect.Effect<A, RunPodFailure> =>
    http.execute(request).pipe(
      Effect.mapError(requestFailure),
      Effect.flatMap((response) => {
        if (response.status >= 200 && response.status < 300) return onSuccess(response)
        return Effect.gen(function*() {
          const body = yield* response.text.pipe(Effect.mapError(requestFailure))
          const now = yield* Clock.currentTimeMillis
          return yield* new RunPodRefused({
            status: response.status,
            detail: problemDetail(body),
            retryAfter: response.status === 429
              ? parseRetryAfter(Option.getOrUndefined(Headers.get(response.headers, "retry-after")), now)
              : Option.none()
          })
        })
      }),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(new RunPodUnreachable({ detail: `no answer within ${Duration.format(timeout)}` }))
      })
    )

  const json = <A>(schema: Schema.Decoder<A>) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<A, RunPodFailure> =>
    response.json.pipe(
      Effect.mapError(requestFailure),
      Effect.flatMap((body) => Schema.decodeUnknownEffect(schema)(body)),
      Effect.mapError((error) =>
        error._tag === "SchemaError" ? new RunPodBadResponse({ status: response.status, detail: error.message }) : error
      )
    )

  const podPath = (podId: string) => `/pods/${encodeURIComponent(podId)}`

  return {
    /** `POST /pods` → 201 with the pod (PROVISIONING). */
    createPod: Effect.fn("RunPod.createPod")(function*(body: CreatePodBody) {
      yield* Effect.annotateCurrentSpan({ "pod.name": body.name, "gpu.type": body.gpu.id, "runpod.cloud": body.cloud })
      const request = yield* HttpClientRequest.post("/pods").pipe(
        HttpClientRequest.schemaBodyJson(CreatePodBody)(body),
        Effect.mapError((error) => new RunPodBadResponse({ status: 0, detail: `cannot encode the create body: ${error.message}` }))
      )
      return yield* send(request, json(RunPodPod))
    }),
    /** `GET /pods/{id}`; 404 → None. */
    getPod: Effect.fn("RunPod.getPod")(function*(podId: string) {
      yield* Effect.annotateCurrentSpan({ "pod.id": podId })
      return yield* send(HttpClientRequest.get(podPath(podId)), json(RunPodPod)).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (failure) => failure._tag === "RunPodRefused" && failure.status === 404,
          () => Effect.succeed(Option.none<RunPodPod>())
        )
      )
    }),
    /** `GET /pods` → `{ pods: [...] }`: every pod of the account (no server-side name filter in v2). */
    listPods: Effect.fn("RunPod.listPods")(function*() {
      const list = yield* send(HttpClientRequest.get("/pods"), json(ListPodsResponse))
      return list.pods
    }),
    /** `DELETE /pods/{id}` → 204: terminates and deletes the pod. */
    deletePod: Effect.fn("RunPod.deletePod")(function*(podId: string) {
      yield* Effect.annotateCurrentSpan({ "pod.id": podId })
      yield* send(HttpClientRequest.delete(podPath(podId)), () => Effect.void)
    })
  }
})

export type RunPodClient = Effect.Success<ReturnType<typeof makeRunPodClient>>
