import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { TestService, TestServiceLive } from "../support/service.ts"
import { assertProblem, createJob, jobBody, leavesNoRows } from "../support/api-fixtures.ts"

/**
 * Every authenticated route, with a body that would be valid, so only the missing credential can fail it. Sent raw:
 * the shapes of the Authorization header are the point here, and the typed client always sends a well-formed one.
 */
const protectedRoutes: ReadonlyArray<readonly [method: string, path: string, json?: unknown]> = [
  ["POST", "/api/jobs", jobBody()],
  ["GET", "/api/jobs"],
  ["GET", "/api/jobs/1"],
  ["DELETE", "/api/jobs/1"],
  ["POST", "/api/jobs/1/cancel"],
  ["POST", "/api/jobs/1/retry"],
  ["GET", "/api/jobs/1/sim-data"],
  ["GET", "/api/jobs/1/report"],
  ["POST", "/api/jobs/draft", {}],
  ["PATCH", "/api/jobs/draft/1", { goal: "g" }],
  ["POST", "/api/jobs/draft/1/launch"],
  ["GET", "/api/routing"],
  ["PUT", "/api/routing/small", {
    model_id: "m",
    gpu_type: "g",
    max_rounds: 1,
    target_agents: 1,
    vllm_args: null
  }]
]

const badCredentials: ReadonlyArray<readonly [label: string, headers: Record<string, string>]> = [
  ["no Authorization header", {}],
  ["a Basic scheme", { authorization: "Basic dXNlcjpwYXNz" }],
  ["Bearer without a token", { authorization: "Bearer " }],
  ["a token without a scheme", { authorization: "fc_not-a-real-token" }],
  ["an unknown token", { authorization: "Bearer fc_not-a-real-token" }]
]

layer(TestServiceLive(), { excludeTestServices: true })("authentication", (it) => {
  it.effect("every job, draft and routing route answers 401 problem without a valid bearer token", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      for (const [method, path, json] of protectedRoutes) {
        for (const [label, headers] of badCredentials) {
          const reply = yield* service.call(method, path, { headers, ...(json === undefined ? {} : { json }) })
          assert.strictEqual(reply.status, 401, `${method} ${path} with ${label}: ${reply.text}`)
          assertProblem(reply, 401, "unauthorized")
        }
      }
    }))

  // Raw HTTP: no Authorization header and a body the client would not send.
  it.effect("an unauthenticated create with a broken body is still a 401, and writes nothing", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", { json: { seed_text: 42 } }))
      assertProblem(reply, 401, "unauthorized")
    }))

  it.effect("a valid token is accepted, and the job belongs to its user", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const api = yield* service.client(yield* service.tokenFor("alice"))
      const created = yield* createJob(api)
      const listed = yield* api.jobs.list({ query: {} })
      assert.deepStrictEqual(listed.jobs.map((job) => job.id), [created.id])
    }))

  // Raw HTTP: the scheme's spelling is the point.
  it.effect("the bearer scheme is case-insensitive (RFC 9110)", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("bob")
      const reply = yield* service.call("GET", "/api/jobs", { headers: { authorization: `bearer ${token}` } })
      assert.strictEqual(reply.status, 200)
    }))

  // Raw HTTP: a request with no Authorization header at all; the OpenAPI document and the docs are not in the definition.
  it.effect("health, config, the OpenAPI document and the docs need no token", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      for (const path of ["/api/health", "/api/config", "/openapi.json", "/docs"]) {
        const reply = yield* service.call("GET", path)
        assert.strictEqual(reply.status, 200, `${path}: ${reply.text.slice(0, 200)}`)
      }
    }))
})
