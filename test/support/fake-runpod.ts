/**
 * A fake RunPod REST API v2 on 127.0.0.1 (a real HTTP server, started as a scoped resource) for the RunPod
 * provider's tests. It implements what fishcloud calls, with the documented shapes (`docs/lifecycle.md`, "RunPod";
 * RunPod's docs `api-reference-v2/openapi.json`): `POST /v2/pods` (201 Pod; 400 stock-out, 402, 403, 422, 429, 5xx as
 * RFC 9457 problems), `GET /v2/pods/{id}` (404 when unknown), `GET /v2/pods` (`{ pods }`), `DELETE /v2/pods/{id}` (204,
 * 404).
 * Every route wants `Authorization: Bearer <key>` (401 otherwise). Faults are scripted; every request is logged.
 */
import * as Http from "node:http"
import { Effect } from "effect"
import { scopedLoopbackServer } from "./loopback-server.ts"

type Cloud = "SECURE" | "COMMUNITY"
type Route = "create" | "get" | "list" | "delete"

/** A scripted HTTP failure, used up in order for its route. */
interface ScriptedFailure {
  readonly route: Route
  readonly status: number
  /** How many requests get it (default 1). */
  readonly times?: number
  readonly retryAfter?: string
  readonly detail?: string
  /** Create only: the pod IS created, then the answer is this failure (a 5xx that hides a created pod). */
  readonly afterCreating?: boolean
}

/** Create refusals that depend on the candidate: a GPU type, in one cloud or (no `cloud`) in both. */
interface GpuRule {
  readonly gpu: string
  readonly cloud?: Cloud
}

export interface FakeRunPodScript {
  /** 400 with RunPod's stock-out words. */
  readonly stockOut: ReadonlyArray<GpuRule>
  /** 403: no access to that pool. */
  readonly forbidden: ReadonlyArray<GpuRule>
  /** Every create answers 402 (insufficient balance). */
  readonly paymentRequired: boolean
  /** Every create answers 422 with this detail. */
  readonly unprocessable: string | null
  readonly failures: ReadonlyArray<ScriptedFailure>
  /** A new pod reports RUNNING (with a runtime) from its Nth GET on; before that PROVISIONING, then STARTING. */
  readonly readyAfterGets: number
  /** Hourly price of a new pod. */
  readonly cost: (gpu: string, cloud: Cloud) => number
  /** The 201 of a create carries `cost: 0` (the price shows on the pod GET only). */
  readonly createAnswerOmitsCost: boolean
}

interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly route: Route | "unknown"
  readonly authorization: string | undefined
  readonly body: unknown
  readonly status: number
}

/** The fields of the v2 `Pod` the fake keeps. */
export interface FakePod {
  id: string
  name: string
  image: string
  disk: number
  ports: ReadonlyArray<string>
  env: Record<string, string>
  gpu: { id: string; count: number }
  cloud: Cloud
  cost: number
  status: string
  runtime: { uptime?: number; ports?: ReadonlyArray<{ private: number; public: number | null; type: string }> } | null
  gets: number
  /** A test pinned the status/runtime: the GET-count progression no longer applies. */
  pinned: boolean
}

const defaultScript: FakeRunPodScript = {
  stockOut: [],
  forbidden: [],
  paymentRequired: false,
  unprocessable: null,
  failures: [],
  readyAfterGets: 1,
  createAnswerOmitsCost: false,
  cost: (gpu, cloud) => (gpu.includes("H100") ? 2.69 : 0.86) * (cloud === "COMMUNITY" ? 0.8 : 1)
}

const stockOutDetail =
  "There are no longer any instances available with the requested specifications. Please refresh and try again."

/** `CreatePodRequest` keys (unevaluatedProperties: false): anything else is a 422, as v2 rejects unknown fields by name. */
const createKeys = new Set(["name", "image", "args", "disk", "ports", "env", "registry", "mounts", "gpu", "cpu", "cloud", "dataCenterIds", "globalNetworking"])

const matches = (rules: ReadonlyArray<GpuRule>, gpu: string, cloud: Cloud) =>
  rules.some((rule) => rule.gpu === gpu && (rule.cloud === undefined || rule.cloud === cloud))

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable"
}

interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

const problem = (status: number, detail: string, extra?: { errors?: ReadonlyArray<string>; headers?: Record<string, string> }): Reply => ({
  status,
  body: { title: titles[status] ?? "Error", status, detail, ...(extra?.errors === undefined ? {} : { errors: extra.errors }) },
  ...(extra?.headers === undefined ? {} : { headers: extra.headers })
})

/** Checks a create body the way v2's schema does; the list of violations (empty = valid). */
const violations = (body: unknown): Array<string> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return ["$: expected object"]
  const record = body as Record<string, unknown>
  const errors = Object.keys(record).filter((key) => !createKeys.has(key)).map((key) => `$: additional properties '${key}' not allowed`)
  if (typeof record["name"] !== "string" || record["name"].length === 0) errors.push("$.name: required non-empty string")
  if (typeof record["image"] !== "string") errors.push("$.image: required string")
  const gpu = record["gpu"]
  if (typeof gpu !== "object" || gpu === null) errors.push("$.gpu: required object")
  else {
    const fields = gpu as Record<string, unknown>
    if (typeof fields["id"] !== "string") errors.push("$.gpu.id: required string")
    if (fields["count"] !== undefined && (!Number.isInteger(fields["count"]) || Number(fields["count"]) < 1)) errors.push("$.gpu.count: integer >= 1")
    for (const key of Object.keys(fields)) if (key !== "id" && key !== "count") errors.push(`$.gpu: additional properties '${key}' not allowed`)
  }
  if (record["cloud"] !== undefined && record["cloud"] !== "SECURE" && record["cloud"] !== "COMMUNITY") {
    errors.push("$.cloud: value must be one of 'SECURE', 'COMMUNITY'")
  }
  if (record["disk"] !== undefined && (!Number.isInteger(record["disk"]) || Number(record["disk"]) < 1)) errors.push("$.disk: integer >= 1")
  const ports = record["ports"]
  if (ports !== undefined && (!Array.isArray(ports) || ports.some((port) => typeof port !== "string"))) errors.push("$.ports: array of strings")
  const env = record["env"]
  if (env !== undefined && (typeof env !== "object" || env === null || Object.values(env).some((value) => typeof value !== "string"))) {
    errors.push("$.env: object of strings")
  }
  return errors
}

const runningRuntime = { uptime: 7, ports: [{ private: 5000, public: null, type: "http" }, { private: 8000, public: null, type: "http" }] }

/** The pod as v2 returns it (`Pod`). */
const podJson = (pod: FakePod) => ({
  id: pod.id,
  name: pod.name,
  image: pod.image,
  args: "",
  disk: pod.disk,
  ports: pod.ports,
  env: pod.env,
  registry: null,
  status: pod.status,
  actions: pod.status === "RUNNING" ? ["stop", "restart", "terminate"] : ["stop", "terminate"],
  mounts: {},
  gpu: pod.gpu,
  cloud: pod.cloud,
  dataCenterId: "US-TX-3",
  template: null,
  cost: pod.status === "EXITED" || pod.status === "TERMINATED" ? 0 : pod.cost,
  locked: false,
  globalNetworking: { enabled: false },
  runtime: pod.runtime,
  createdAt: "2026-11-29T12:00:00Z",
  startedAt: pod.runtime === null ? null : "2026-11-29T12:01:00Z"
})

export interface FakeRunPod {
  /** The API base to give RUNPOD_API_URL: `http://127.0.0.1:PORT/v2`. */
  readonly url: string
  readonly apiKey: string
  /** Replaces parts of the script (the rest stays). */
  readonly script: (patch: Partial<FakeRunPodScript>) => void
  readonly requests: () => ReadonlyArray<LoggedRequest>
  /** The bodies of every `POST /v2/pods`, in order. */
  readonly createBodies: () => ReadonlyArray<Record<string, unknown>>
  /** Live pods (terminated ones are deleted, as in v2). */
  readonly pods: () => ReadonlyArray<FakePod>
  /** Adds a pod directly (as if created earlier, e.g. from another runner). */
  readonly addPod: (pod: { name: string; gpu?: string; cloud?: Cloud; status?: string; cost?: number }) => FakePod
  /** Pins a pod's status and runtime (e.g. `RUNNING` with `runtime: null`). */
  readonly setPod: (id: string, patch: { status?: string; runtime?: FakePod["runtime"]; cost?: number }) => void
}

export const fakeRunPod = (options?: { readonly apiKey?: string; readonly script?: Partial<FakeRunPodScript> }) =>
  Effect.gen(function*() {
    const { handler, fake } = start(options?.apiKey ?? "rp_test_key_0123456789", { ...defaultScript, ...options?.script })
    const { url } = yield* scopedLoopbackServer(handler)
    return fake(url)
  })

const start = (apiKey: string, initial: FakeRunPodScript) => {
  let script = initial
  let failures = initial.failures.map((failure) => ({ ...failure, left: failure.times ?? 1 }))
  const log: Array<LoggedRequest> = []
  const pods = new Map<string, FakePod>()
  let created = 0

  const newPod = (fields: { name: string; image: string; disk: number; ports: ReadonlyArray<string>; env: Record<string, string>; gpu: string; cloud: Cloud; cost?: number; status?: string }): FakePod => {
    created += 1
    const pod: FakePod = {
      id: `rp${created.toString().padStart(3, "0")}x7k2m9`,
      name: fields.name,
      image: fields.image,
      disk: fields.disk,
      ports: fields.ports,
      env: fields.env,
      gpu: { id: fields.gpu, count: 1 },
      cloud: fields.cloud,
      cost: fields.cost ?? script.cost(fields.gpu, fields.cloud),
      status: fields.status ?? "PROVISIONING",
      runtime: fields.status === "RUNNING" ? runningRuntime : null,
      gets: 0,
      pinned: fields.status !== undefined
    }
    pods.set(pod.id, pod)
    return pod
  }

  const takeFailure = (route: Route) => {
    const next = failures.find((failure) => failure.route === route && failure.left > 0)
    if (next === undefined) return undefined
    next.left -= 1
    return next
  }

  const failureReply = (failure: ScriptedFailure): Reply =>
    problem(failure.status, failure.detail ?? (failure.status === 429 ? "rate limit exceeded for the minute window" : "upstream error"), {
      ...(failure.retryAfter === undefined ? {} : { headers: { "retry-after": failure.retryAfter } })
    })

  const create = (body: unknown): Reply => {
    const errors = violations(body)
    if (errors.length > 0) return problem(422, "Request validation failed.", { errors })
    const scripted = takeFailure("create")
    const record = body as { name: string; image: string; gpu: { id: string }; cloud?: Cloud; disk?: number; ports?: Array<string>; env?: Record<string, string> }
    const cloud = record.cloud ?? "SECURE"
    if (scripted !== undefined && scripted.afterCreating !== true) return failureReply(scripted)
    if (script.unprocessable !== null) return problem(422, script.unprocessable)
    if (script.paymentRequired) return problem(402, "insufficient balance to create this pod")
    if (matches(script.forbidden, record.gpu.id, cloud)) return problem(403, "access denied")
    if (matches(script.stockOut, record.gpu.id, cloud)) return problem(400, stockOutDetail)
    const pod = newPod({
      name: record.name,
      image: record.image,
      disk: record.disk ?? 20,
      ports: record.ports ?? [],
      env: record.env ?? {},
      gpu: record.gpu.id,
      cloud
    })
    if (scripted !== undefined) return failureReply(scripted)
    return { status: 201, body: { ...podJson(pod), ...(script.createAnswerOmitsCost ? { cost: 0 } : {}) } }
  }

  const get = (id: string): Reply => {
    const scripted = takeFailure("get")
    if (scripted !== undefined) return failureReply(scripted)
    const pod = pods.get(id)
    if (pod === undefined) return problem(404, "pod not found")
    pod.gets += 1
    if (!pod.pinned) {
      if (pod.gets >= script.readyAfterGets) {
        pod.status = "RUNNING"
        pod.runtime = runningRuntime
      } else if (pod.gets >= script.readyAfterGets / 2) pod.status = "STARTING"
    }
    return { status: 200, body: podJson(pod) }
  }

  const list = (): Reply => {
    const scripted = takeFailure("list")
    if (scripted !== undefined) return failureReply(scripted)
    return { status: 200, body: { pods: [...pods.values()].map(podJson) } }
  }

  const remove = (id: string): Reply => {
    const scripted = takeFailure("delete")
    if (scripted !== undefined) return failureReply(scripted)
    if (!pods.delete(id)) return problem(404, "pod not found")
    return { status: 204 }
  }

  const route = (method: string, path: string): [Route | "unknown", string] => {
    const one = /^\/v2\/pods\/([^/]+)$/.exec(path)
    if (path === "/v2/pods" && method === "POST") return ["create", ""]
    if (path === "/v2/pods" && method === "GET") return ["list", ""]
    if (one !== null && method === "GET") return ["get", decodeURIComponent(one[1]!)]
    if (one !== null && method === "DELETE") return ["delete", decodeURIComponent(one[1]!)]
    return ["unknown", ""]
  }

  const handle = (method: string, path: string, authorization: string | undefined, text: string): [Route | "unknown", unknown, Reply] => {
    const [which, id] = route(method, path)
    let body: unknown = undefined
    if (text.length > 0) {
      try {
        body = JSON.parse(text)
      } catch {
        return [which, text, problem(400, "request body is not valid JSON")]
      }
    }
    if (authorization === undefined) return [which, body, problem(401, "missing bearer token")]
    if (authorization !== `Bearer ${apiKey}`) return [which, body, problem(401, "invalid api key")]
    switch (which) {
      case "create":
        return [which, body, create(body)]
      case "get":
        return [which, body, get(id)]
      case "list":
        return [which, body, list()]
      case "delete":
        return [which, body, remove(id)]
      default:
        return [which, body, problem(404, `no route ${method} ${path}`)]
    }
  }

  const handler: Http.RequestListener = (request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const method = request.method ?? "GET"
      const path = new URL(request.url ?? "/", "http://fake").pathname
      const authorization = request.headers.authorization
      const [which, body, reply] = handle(method, path, authorization, Buffer.concat(chunks).toString("utf8"))
      log.push({ method, path, route: which, authorization, body, status: reply.status })
      const headers: Record<string, string> = { ...reply.headers }
      if (reply.body !== undefined) headers["content-type"] = reply.status < 300 ? "application/json" : "application/problem+json"
      response.writeHead(reply.status, headers)
      response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
    })
  }

  const fake = (url: string): FakeRunPod => ({
    url: `${url}/v2`,
    apiKey,
    script: (patch) => {
      script = { ...script, ...patch }
      if (patch.failures !== undefined) failures = patch.failures.map((failure) => ({ ...failure, left: failure.times ?? 1 }))
    },
    requests: () => [...log],
    createBodies: () => log.filter((entry) => entry.route === "create").map((entry) => entry.body as Record<string, unknown>),
    pods: () => [...pods.values()],
    addPod: (fields) =>
      newPod({
        name: fields.name,
        image: "ghcr.io/fishcloud/fishcloud-pod:0.1.0",
        disk: 60,
        ports: ["5000/http", "8000/http"],
        env: {},
        gpu: fields.gpu ?? "NVIDIA L40S",
        cloud: fields.cloud ?? "SECURE",
        ...(fields.cost === undefined ? {} : { cost: fields.cost }),
        ...(fields.status === undefined ? {} : { status: fields.status })
      }),
    setPod: (id, patch) => {
      const pod = pods.get(id)
      if (pod === undefined) return
      pod.pinned = true
      if (patch.status !== undefined) pod.status = patch.status
      if (patch.runtime !== undefined) pod.runtime = patch.runtime
      if (patch.cost !== undefined) pod.cost = patch.cost
    }
  })
  return { handler, fake }
}
