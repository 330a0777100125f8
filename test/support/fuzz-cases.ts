/**
 * The fuzz suite's inputs, derived from the HttpApi definition: every endpoint of `Api` (walked with
 * `HttpApi.reflect`) with its params, query, headers and payload schemas, and an `Arbitrary` of requests for it that
 * mixes valid inputs (`Arbitrary.schema` of each schema, encoded as a client would) with adversarial ones: wrong types,
 * empty, huge and odd unicode strings, deep JSON, wrong content types, duplicate and missing headers, odd paths and
 * query strings, and ids of another user's jobs. The live routes outside the HttpApi (event streams, `/storage`,
 * `/s/:token`, the dashboard) get the same path and header treatment.
 */
import { Arbitrary, Schema } from "effect"
import { HttpApi } from "effect/http-api"
import { Api } from "../../src/api/definition.ts"
import type { RawRequest } from "./fuzz-http.ts"

/** What the fuzzer knows of the seeded data: whose token it uses and which job ids exist. */
export interface FuzzWorld {
  readonly token: string
  readonly adminToken: string
  /** The caller's own jobs, in various statuses (draft, pending, completed, failed, cancelled). */
  readonly ownIds: ReadonlyArray<number>
  /** Another user's jobs: any answer about them but a 404 is a leak. */
  readonly victimIds: ReadonlyArray<number>
  readonly ownShareToken: string
}

export interface Endpoint {
  /** `group.name`, or `live.<name>` for a route outside the HttpApi. */
  readonly name: string
  readonly method: string
  /** The path template, `:name` for a parameter. */
  readonly path: string
  readonly params: Schema.Top | undefined
  readonly query: Schema.Top | undefined
  readonly headers: Schema.Top | undefined
  readonly payload: Schema.Top | undefined
  /** Declared successes by status (none for live routes). */
  readonly successes: ReadonlyMap<number, ReadonlyArray<Schema.Top>>
  /** The error statuses it declares (a declared 503 is back-pressure, not a crash). */
  readonly errorStatuses: ReadonlySet<number>
  readonly authorized: boolean
}

export interface FuzzCase {
  readonly endpoint: string
  /** Which generator made it (for the run's summary and failure messages). */
  readonly kind: string
  readonly request: RawRequest
  /** The request is valid for `endpoint` (generated from its schemas, unchanged). */
  readonly wellFormed: boolean
  /** Its path still has the endpoint's shape, so it reaches that endpoint: a success must decode with its schema. */
  readonly sameRoute: boolean
  /** It names another user's job: only 404 is right. */
  readonly victim: boolean
  /** It is sent with an administrator's token (who may list every user, token and audit entry). */
  readonly admin: boolean
}

/** Every HttpApi endpoint, from the definition itself. */
export const apiEndpoints = (): ReadonlyArray<Endpoint> => {
  const endpoints: Array<Endpoint> = []
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ group, endpoint, successes, errors, middleware }) => {
      // The JSON payload schema (every payload of this API is JSON).
      const payloads = [...endpoint.payload.values()].flatMap(({ schemas }) => [...schemas]).filter(Schema.isSchema)
      endpoints.push({
        name: `${group.identifier}.${endpoint.identifier}`,
        method: endpoint.method,
        path: endpoint.path,
        params: endpoint.params,
        query: endpoint.query,
        headers: endpoint.headers,
        payload: payloads[0],
        successes,
        errorStatuses: new Set(errors.keys()),
        // Every group but share and system (and signIn) sits behind Authorization; ProblemDetails is the other one.
        authorized: middleware.size > 1
      })
    }
  })
  return endpoints
}

const live = (name: string, method: string, path: string, authorized: boolean): Endpoint => ({
  name: `live.${name}`,
  method,
  path,
  params: undefined,
  query: undefined,
  headers: undefined,
  payload: undefined,
  successes: new Map(),
  errorStatuses: new Set(),
  authorized
})

/** The routes served outside the HttpApi. */
export const liveEndpoints: ReadonlyArray<Endpoint> = [
  live("jobEvents", "GET", "/api/jobs/:id/events", true),
  live("events", "GET", "/api/events", true),
  live("storageGet", "GET", "/storage/:key", false),
  live("storagePut", "PUT", "/storage/:key", false),
  live("sharePage", "GET", "/s/:token", false),
  live("dashboard", "GET", "/jobs/:id", false),
  live("asset", "GET", "/assets/:key", false),
  live("openapi", "GET", "/openapi.json", false)
]

/** Endpoints only an administrator's token may use. */
const isAdminOnly = (endpoint: Endpoint) => endpoint.path.startsWith("/api/admin/") || endpoint.name === "routing.set"

/** Picks one of `items` (shrinks toward the first). */
const pick = <A>(items: ReadonlyArray<A>): Arbitrary.Arbitrary<A> =>
  Arbitrary.map(Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: items.length - 1 }))), (index) => items[index]!)

const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth)
const deepObject = (depth: number) => "{\"a\":".repeat(depth) + "1" + "}".repeat(depth)

/** Strings that break naive code: empty, huge, lone surrogates, RTL overrides, NUL, emoji, combining marks, paths. */
const edgeStrings: ReadonlyArray<string> = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\ud83dy",
  "\u202eevil\u202c",
  "\u05e9\u05dc\u05d5\u05dd",
  "😀👩‍👩‍👧‍👦🏳️‍🌈",
  "e\u0301\u0301\u0301\u0301",
  "\ufeff",
  "\uffff",
  "\r\n\t",
  "../../etc/passwd",
  "%00%2e%2e",
  "'; DROP TABLE simulation_jobs; --",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "null",
  "-1",
  "0",
  "1e999",
  "99999999999999999999999",
  "NaN",
  "a".repeat(1_000),
  "é".repeat(50_000),
  "x".repeat(300_000)
]

/** JSON values of the wrong type (or the right type with odd values) for a field. */
const wrongValues: ReadonlyArray<unknown> = [
  null,
  true,
  0,
  -1,
  1.5,
  -0,
  2 ** 53 + 1,
  1e308,
  [],
  {},
  [1, "a", null],
  { "__proto__": { admin: true } },
  { constructor: { prototype: { admin: true } } },
  ...edgeStrings
]

/** Raw bodies that are not what a JSON endpoint expects. */
const oddBodies: ReadonlyArray<string> = [
  "",
  "{",
  "null",
  "[]",
  "\"just a string\"",
  "{\"a\":1,\"a\":2}",
  "\ufeff{}",
  "{\"seed_text\":\"\\ud800\",\"goal\":\"\\u0000\"}",
  deepArray(100_000),
  deepObject(20_000),
  "{\"x\":" + "1".repeat(100_000) + "}",
  "{}".padEnd(60_000, " "),
  "\u0000\u0001\u0002"
]

const contentTypes: ReadonlyArray<string | undefined> = [
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/json; charset=\u00ff",
  "application/xml",
  "application/problem+json",
  "*/*",
  "application/json, text/plain",
  ""
]

/** Path segments a parameter may be replaced by (sent as is: only U+0021..U+00FF). */
const oddSegments: ReadonlyArray<string> = [
  "",
  "..",
  "%2e%2e",
  "%",
  "%zz",
  "%00",
  "%ED%A0%80",
  "%C0%AF",
  "0",
  "-1",
  "1.0",
  "1e3",
  "0x10",
  "+1",
  "01",
  "9007199254740993",
  "99999999999999999999999999",
  "NaN",
  "Infinity",
  "%20",
  "\u00ff\u00fe",
  "a;b=c",
  "1%2F2",
  "x".repeat(10_000)
]

const oddQueries: ReadonlyArray<string> = [
  "?",
  "?&&&",
  "?=",
  "?page=1&page=2",
  "?page=&per_page=",
  "?page=%",
  "?page=%zz",
  "?per_page=0",
  "?per_page=101",
  "?page=-1",
  "?page=1.5",
  "?page=1e3",
  "?after=0",
  "?after=99999999999999999999",
  "?status=running",
  "?status[]=PENDING",
  "?status=PENDING&status=FAILED",
  "?jobs=",
  "?jobs=,,,",
  "?jobs=1,2,x",
  "?jobs=" + Array.from({ length: 101 }, (_, i) => i + 1).join(","),
  "?after=-5",
  "?" + "a=1&".repeat(2_000),
  "?%00=%00",
  "?signature=&expires=0",
  "#fragment"
]

/** Percent-encodes a string for a path or query (a lone surrogate becomes the replacement character's bytes). */
const percentEncode = (text: string) =>
  [...Buffer.from(text, "utf8")].map((byte) =>
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d ||
      byte === 0x2e || byte === 0x5f || byte === 0x7e
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  ).join("")

/** A header value Node agrees to send: characters outside printable Latin-1 become `?`. */
const headerSafe = (text: string) => text.replace(/[^\u0020-\u007e\u0080-\u00ff]/g, "?")

/** An encoded (wire) value as a path or query string. */
const wire = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value))

/** Encodes a generated value as its JSON wire form (the schemas here need no services). */
const encoder = (schema: Schema.Top) => Schema.encodeUnknownSync(Schema.toCodecJson(schema) as unknown as Schema.Codec<unknown, unknown>)

/** The wire form of a generated params/query/headers/payload value. */
const encoded = (schema: Schema.Top | undefined, value: unknown): Record<string, unknown> =>
  schema === undefined ? {} : (encoder(schema)(value) as Record<string, unknown>)

const valueOf = (schema: Schema.Top | undefined) =>
  schema === undefined ? Arbitrary.Constant(undefined) : Arbitrary.schema(schema)

const fillPath = (template: string, params: Record<string, string>) =>
  template.split("/").map((segment) => segment.startsWith(":") ? (params[segment.slice(1)] ?? "") : segment).join("/")

const queryString = (query: Record<string, unknown>) => {
  const parts = Object.entries(query).map(([name, value]) => `${percentEncode(name)}=${percentEncode(wire(value))}`)
  return parts.length === 0 ? "" : `?${parts.join("&")}`
}

interface Parts {
  readonly params: Record<string, string>
  readonly query: string
  readonly headers: Record<string, string | ReadonlyArray<string>>
  readonly body: string | undefined
}

/** A job id for a `:id` parameter: one of the caller's, another user's, or any id at all. */
const jobIdChoice = (world: FuzzWorld) =>
  Arbitrary.flatMap(pick(["own", "own", "victim", "random"] as const), (which) =>
    which === "own"
      ? Arbitrary.map(pick(world.ownIds), (id) => ({ id: String(id), victim: false }))
      : which === "victim"
      ? Arbitrary.map(pick(world.victimIds), (id) => ({ id: String(id), victim: true }))
      : Arbitrary.map(Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 2_000_000_000 }))), (id) => ({ id: String(id), victim: world.victimIds.includes(id) })))

/** Valid parts of a request to `endpoint`, as its typed client would send them. */
const validParts = (endpoint: Endpoint, world: FuzzWorld) =>
  Arbitrary.map(
    Arbitrary.all({
      params: valueOf(endpoint.params),
      query: valueOf(endpoint.query),
      headers: valueOf(endpoint.headers),
      payload: valueOf(endpoint.payload),
      job: jobIdChoice(world),
      key: pick(["jobs/1/report.md", "../secret", "jobs/%2e%2e/x", "a".repeat(300), "jobs/1/chat_log.json"]),
      shareToken: pick([world.ownShareToken, "", "nope", "x".repeat(200)]),
      // The administrators' endpoints are tried with an administrator's token half the time.
      asAdmin: isAdminOnly(endpoint) ? pick([false, true]) : Arbitrary.Constant(false)
    }),
    ({ params, query, headers, payload, job, key, shareToken, asAdmin }) => {
      const pathParams: Record<string, string> = {}
      for (const [name, value] of Object.entries(encoded(endpoint.params, params))) pathParams[name] = percentEncode(wire(value))
      if (endpoint.path.includes(":id")) pathParams["id"] = job.id
      if (endpoint.path.includes(":key")) pathParams["key"] = key
      if (endpoint.name === "live.sharePage") pathParams["token"] = percentEncode(shareToken)
      const headerValues: Record<string, string> = {}
      for (const [name, value] of Object.entries(encoded(endpoint.headers, headers))) headerValues[name] = headerSafe(wire(value))
      if (endpoint.authorized) headerValues["authorization"] = `Bearer ${asAdmin ? world.adminToken : world.token}`
      const body = endpoint.payload === undefined ? undefined : JSON.stringify(encoded(endpoint.payload, payload))
      if (body !== undefined) headerValues["content-type"] = "application/json"
      const liveQuery = endpoint.name === "live.events" ? `?jobs=${job.id}` : ""
      const parts: Parts = { params: pathParams, query: queryString(encoded(endpoint.query, query)) + liveQuery, headers: headerValues, body }
      // The dashboard's `/jobs/:id` page is the same HTML for any id (the page asks the API): only API paths count.
      return { parts, victim: job.victim && endpoint.path.startsWith("/api/jobs/") && endpoint.path.includes(":id"), admin: asAdmin }
    }
  )

type Mutation = (parts: Parts, endpoint: Endpoint) => Parts

/** Replaces one field of the JSON body (or adds one) with a wrong value. */
const wrongField = (value: unknown, fieldIndex: number): Mutation => (parts) => {
  if (parts.body === undefined) return { ...parts, body: JSON.stringify(value), headers: { ...parts.headers, "content-type": "application/json" } }
  const object = JSON.parse(parts.body) as Record<string, unknown>
  const keys = Object.keys(object)
  const key = keys.length === 0 ? "extra" : keys[fieldIndex % (keys.length + 1)] ?? "unexpected_field"
  return { ...parts, body: JSON.stringify({ ...object, [key]: value }) }
}

/** Every string in the body, path params and headers replaced by one edge string. */
const edgeEverywhere = (text: string): Mutation => (parts) => {
  const body = parts.body === undefined ? undefined : JSON.stringify(JSON.parse(parts.body), (_, value: unknown) => typeof value === "string" ? text : value)
  const params: Record<string, string> = {}
  // Node refuses a request line and headers over 16 KiB before the app sees them (a 431 problem, see
  // src/api/server/client-errors.ts; the client may see the connection reset first): paths stay well below.
  for (const name of Object.keys(parts.params)) params[name] = percentEncode(text).slice(0, 6_000)
  const headers: Record<string, string | ReadonlyArray<string>> = {}
  for (const [name, value] of Object.entries(parts.headers)) headers[name] = name === "authorization" || name === "content-type" ? value : headerSafe(text.slice(0, 8_000))
  return { ...parts, params, headers, body }
}

const withBody = (body: string): Mutation => (parts) => ({ ...parts, body, headers: { ...parts.headers, "content-type": "application/json" } })

const withContentType = (contentType: string | undefined): Mutation => (parts) => {
  const { "content-type": _, ...headers } = parts.headers
  return { ...parts, headers: contentType === undefined ? headers : { ...headers, "content-type": contentType }, body: parts.body ?? "{}" }
}

const headerChaos: ReadonlyArray<readonly [string, Mutation]> = [
  ["no authorization", (parts) => {
    const { authorization: _, ...headers } = parts.headers
    return { ...parts, headers }
  }],
  ["two authorizations", (parts, endpoint) => ({ ...parts, headers: { ...parts.headers, authorization: [String(parts.headers["authorization"] ?? "Bearer x"), endpoint.authorized ? "Bearer someone-else" : "Bearer y"] } })],
  ["basic auth", (parts) => ({ ...parts, headers: { ...parts.headers, authorization: "Basic YWRtaW46YWRtaW4=" } })],
  ["bearer, no token", (parts) => ({ ...parts, headers: { ...parts.headers, authorization: "Bearer" } })],
  ["bearer, spaces", (parts) => ({ ...parts, headers: { ...parts.headers, authorization: "Bearer    " } })],
  ["bearer, latin-1", (parts) => ({ ...parts, headers: { ...parts.headers, authorization: "Bearer \u00ff\u00fe\u0080" } })],
  ["bearer, huge", (parts) => ({ ...parts, headers: { ...parts.headers, authorization: `Bearer ${"t".repeat(8_000)}` } })],
  ["two content types", (parts) => ({ ...parts, headers: { ...parts.headers, "content-type": ["application/json", "text/plain"] }, body: parts.body ?? "{}" })],
  ["two idempotency keys", (parts) => ({ ...parts, headers: { ...parts.headers, "idempotency-key": ["a", "b"] } })],
  ["empty idempotency key", (parts) => ({ ...parts, headers: { ...parts.headers, "idempotency-key": "" } })],
  ["huge idempotency key", (parts) => ({ ...parts, headers: { ...parts.headers, "idempotency-key": "k".repeat(4_000) } })],
  ["bad content-length", (parts) => ({ ...parts, headers: { ...parts.headers, "content-length": "-1" }, body: undefined })],
  ["last-event-id odd", (parts) => ({ ...parts, headers: { ...parts.headers, "last-event-id": ["-1", "x"] } })],
  ["last-event-id huge", (parts) => ({ ...parts, headers: { ...parts.headers, "last-event-id": "9".repeat(400) } })],
  ["accept odd", (parts) => ({ ...parts, headers: { ...parts.headers, accept: "application/xml;q=0, */*;q=abc" } })],
  ["traceparent odd", (parts) => ({ ...parts, headers: { ...parts.headers, traceparent: "00-zz-yy-01", tracestate: "\u00ff".repeat(100) } })],
  ["x-forwarded odd", (parts) => ({ ...parts, headers: { ...parts.headers, "x-forwarded-for": "::ffff:999.1.1.1, , unknown", "x-forwarded-proto": "gopher" } })],
  ["admin token", (parts) => ({ ...parts, headers: { ...parts.headers, authorization: "Bearer ADMIN" } })]
]

const oddPath = (segment: string, query: string): Mutation => (parts) => {
  const params: Record<string, string> = {}
  for (const name of Object.keys(parts.params)) params[name] = segment
  return { ...parts, params, query: query }
}

/** The adversarial kinds and how likely each is relative to a valid request. */
const mutations = (world: FuzzWorld): Arbitrary.Arbitrary<readonly [string, Mutation]> =>
  Arbitrary.flatMap(pick(["wrong type", "edge string", "odd body", "content type", "headers", "odd path", "odd query"] as const), (kind): Arbitrary.Arbitrary<readonly [string, Mutation]> => {
    switch (kind) {
      case "wrong type":
        return Arbitrary.map(Arbitrary.all([pick(wrongValues), pick([0, 1, 2, 3, 4, 5])]), ([value, index]) => [kind, wrongField(value, index)] as const)
      case "edge string":
        return Arbitrary.map(pick(edgeStrings), (text) => [kind, edgeEverywhere(text)] as const)
      case "odd body":
        return Arbitrary.map(pick(oddBodies), (body) => [kind, withBody(body)] as const)
      case "content type":
        return Arbitrary.map(pick(contentTypes), (type) => [kind, withContentType(type)] as const)
      case "headers":
        return Arbitrary.map(pick(headerChaos), ([name, mutation]) => [`headers: ${name}`, (parts: Parts, endpoint: Endpoint) => {
          const changed = mutation(parts, endpoint)
          return name === "admin token" ? { ...changed, headers: { ...changed.headers, authorization: `Bearer ${world.adminToken}` } } : changed
        }] as const)
      case "odd path":
        return Arbitrary.map(Arbitrary.all([pick(oddSegments), pick(["", ...oddQueries])]), ([segment, query]) => [kind, oddPath(segment, query)] as const)
      case "odd query":
        return Arbitrary.map(pick(oddQueries), (query) => [kind, (parts: Parts) => ({ ...parts, query })] as const)
    }
  })

/** Requests to `endpoint`: about one in three valid, the rest adversarial. */
export const fuzzCases = (endpoint: Endpoint, world: FuzzWorld): Arbitrary.Arbitrary<FuzzCase> =>
  Arbitrary.map(
    Arbitrary.all({ valid: validParts(endpoint, world), adversarial: pick([false, true, true]), mutation: mutations(world) }),
    ({ valid, adversarial, mutation: [kind, mutate] }) => {
      const parts = adversarial ? mutate(valid.parts, endpoint) : valid.parts
      // A path that no longer has the endpoint's shape may match another route: only status and body rules apply.
      const pathKept = !adversarial || !(kind === "odd path" || kind === "edge string")
      return {
        endpoint: endpoint.name,
        kind: adversarial ? kind : "valid",
        request: {
          method: endpoint.method,
          path: fillPath(endpoint.path, parts.params) + parts.query,
          headers: parts.headers,
          body: parts.body
        },
        wellFormed: !adversarial,
        sameRoute: pathKept,
        victim: valid.victim && pathKept,
        admin: valid.admin || (adversarial && kind === "headers: admin token")
      }
    }
  )
