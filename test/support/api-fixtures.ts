/** Small helpers shared by the HTTP API tests (request bodies, typed and raw problem checks, row counts, direct SQL). */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import type { HttpApiError } from "effect/http-api"
import { SqlClient } from "effect/sql"
import type { JobCreate } from "../../src/domain/job.ts"
import { type ApiClient, type Reply, TestService, toReply } from "./service.ts"

let counter = 0

/** A text no other test in the same database uses, so jobs never collide by accident. */
export const unique = (prefix: string) => `${prefix} #${++counter}`

/** A valid `POST /api/jobs` payload with a fresh goal, so two calls are never duplicates unless asked. */
export const newJob = (overrides: Partial<JobCreate> = {}): JobCreate => ({
  seed_text: "Tram vote.",
  goal: unique("Will the tram line be approved?"),
  tier: "small",
  enrich_web: true,
  forecast_days: 14,
  ...overrides
})

/**
 * A raw `POST /api/jobs` JSON body: `newJob` without `enrich_web` (so the server's default applies), with any
 * overrides, valid or not. For the tests that send what the typed client cannot.
 */
export const jobBody = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const { enrich_web: _, ...body } = newJob()
  return { ...body, ...overrides }
}

/** A fresh user (named from `prefix`), their token and a typed client acting as them. */
export const newUser = (prefix: string, options?: { readonly admin?: boolean }) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const token = yield* service.tokenFor(unique(prefix), options)
    return { token, api: yield* service.client(token) }
  })

/** `POST /api/jobs` through the typed client, with an Idempotency-Key when given. */
export const createJob = (api: ApiClient, payload: JobCreate = newJob(), idempotencyKey?: string) =>
  api.jobs.create({ payload, headers: idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey } })

/**
 * Runs a typed client call that must fail with the declared error `tag` (the status and problem `type` it is
 * decoded from) and returns that error; a success or any other error fails the test.
 */
export const failsWith = <A, E extends { readonly _tag: string }, R, const Tag extends E["_tag"]>(
  call: Effect.Effect<A, E, R>,
  tag: Tag
): Effect.Effect<Extract<E, { readonly _tag: Tag }>, never, R> =>
  Effect.matchEffect(call, {
    onSuccess: (value) => Effect.die(new Error(`expected ${tag}, but the call succeeded: ${JSON.stringify(value)}`)),
    onFailure: (error) =>
      Effect.sync(() => {
        assert.strictEqual(error._tag, tag, `expected ${tag}, got ${String(error)}`)
        return error as Extract<E, { readonly _tag: Tag }>
      })
  })

/** The first issue of a typed 400 problem, which must name `path` (e.g. ["payload", "seed_text"]). */
export const firstIssue = (problem: HttpApiError.BadRequestProblem, path: ReadonlyArray<string>) => {
  assert.isDefined(problem.errors, `no errors in ${JSON.stringify(problem)}`)
  const issue = problem.errors![0]
  assert.isDefined(issue, `no errors in ${JSON.stringify(problem)}`)
  assert.deepStrictEqual(issue!.path, path, JSON.stringify(problem))
  assert.isString(issue!.message)
  return issue!
}

const problemContentType = "application/problem+json"

/** Asserts an RFC 9457 problem with `status` (and `type` when given) and returns its body. */
export const assertProblem = (reply: Reply, status: number, type?: string) => {
  assert.strictEqual(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`)
  assert.strictEqual(reply.headers.get("content-type"), problemContentType, `not a problem: ${reply.text}`)
  assert.isDefined(reply.json, `problem body is not JSON: "${reply.text}"`)
  assert.strictEqual(reply.json.status, status)
  assert.isString(reply.json.title)
  if (type !== undefined) assert.strictEqual(reply.json.type, `urn:fishcloud:problem:${type}`)
  return reply.json
}

/** Asserts a 400 problem whose first error names `path` (e.g. ["payload", "seed_text"]); returns that error. */
export const assertBadRequest = (reply: Reply, path: ReadonlyArray<string>) => {
  const body = assertProblem(reply, 400)
  assert.isArray(body.errors, `no errors in ${reply.text}`)
  assert.deepStrictEqual(body.errors[0].path, path, reply.text)
  assert.isString(body.errors[0].message)
  return body.errors[0] as { path: ReadonlyArray<string>; message: string }
}

export interface RowCounts {
  readonly jobs: number
  readonly events: number
  readonly keys: number
}

/** Rows in the tables a request could write; compare before and after a failed request. */
export const rowCounts = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<RowCounts>`SELECT
    (SELECT count(*)::int FROM simulation_jobs) AS jobs,
    (SELECT count(*)::int FROM job_events) AS events,
    (SELECT count(*)::int FROM idempotency_keys) AS keys`
  return rows[0]!
}).pipe(Effect.orDie)

/** Runs `effect` (a request that must fail) and asserts that it left the row counts unchanged. */
export const leavesNoRows = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const before = yield* rowCounts
    const result = yield* effect
    assert.deepStrictEqual(yield* rowCounts, before, "a failed request left rows behind")
    return result
  })

/** A job row as stored (for checks the API does not show). */
export const storedJob = (id: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ status: string; seed_text: string; user_id: number; retry_of: number | null }>`
      SELECT status, seed_text, user_id, retry_of FROM simulation_jobs WHERE id = ${id}`
    return rows[0]
  }).pipe(Effect.orDie)

export const jobEvents = (id: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ seq: number; kind: string; data: Record<string, unknown> }>`
      SELECT seq, kind, data FROM job_events WHERE job_id = ${id} ORDER BY seq`
  }).pipe(Effect.orDie)

/** Puts a job in `status` behind the API's back (the engine would do this). */
export const setStatus = (id: number, status: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE simulation_jobs SET status = ${status}, updated_at = now() WHERE id = ${id}`
  }).pipe(Effect.orDie)

/**
 * Sends `body` with `Transfer-Encoding: chunked` (no Content-Length), in 64 KiB pieces, the way a streaming
 * client would, so the server cannot refuse it before reading.
 */
export const callChunked = (baseUrl: string, path: string, token: string, body: string) =>
  Effect.promise(async (): Promise<Reply> => {
    const bytes = new TextEncoder().encode(body)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 65_536) {
          controller.enqueue(bytes.slice(offset, offset + 65_536))
        }
        controller.close()
      }
    })
    // `duplex` is required by undici for a streamed body but missing from the DOM RequestInit type.
    const init: RequestInit & { duplex: "half" } = {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: stream,
      duplex: "half"
    }
    return toReply(await fetch(baseUrl + path, init))
  })
