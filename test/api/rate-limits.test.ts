import { assert, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { assertProblem, jobBody, unique } from "../support/api-fixtures.ts"
import { apiProcesses } from "../support/api-processes.ts"
import { type Reply, TestService, TestServiceLive, toReply } from "../support/service.ts"

/** Budgets small enough to exhaust in a test. */
const limits = { rateLimitReadsPerMinute: 5, rateLimitWritesPerMinute: 3, rateLimitAnonymousPerMinute: 4 }

/**
 * Windows are fixed minutes of the database's clock: a test that must stay in one window waits out the last
 * 10 seconds of a minute first (real time: the test's clock is virtual).
 */
const awayFromMinuteEdge = Effect.promise(() => {
  const seconds = new Date().getUTCSeconds()
  return seconds < 50 ? Promise.resolve() : new Promise<void>((resolve) => setTimeout(resolve, (61 - seconds) * 1000))
})

/** The RateLimit header's fields: the policy name, remaining `r` and reset `t`. */
const rateLimit = (reply: Reply) => {
  const header = reply.headers.get("ratelimit")
  assert.isNotNull(header, `no RateLimit header on ${reply.status}: ${reply.text}`)
  const match = /^"(\w+)";r=(\d+);t=(\d+)$/.exec(header!)
  assert.isNotNull(match, `RateLimit: ${header}`)
  return { policy: match![1]!, remaining: Number(match![2]), reset: Number(match![3]) }
}

layer(TestServiceLive(limits), { excludeTestServices: true })("rate limits: headers and budgets", (it) => {
  it.effect("every API response carries RateLimit-Policy and RateLimit, for the token's reads or writes budget", () =>
    Effect.gen(function*() {
      yield* awayFromMinuteEdge
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("headers"))
      const read = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(read.status, 200)
      assert.strictEqual(read.headers.get("ratelimit-policy"), `"reads";q=5;w=60`)
      const first = rateLimit(read)
      assert.deepInclude(first, { policy: "reads", remaining: 4 })
      assert.isAtLeast(first.reset, 1)
      assert.isAtMost(first.reset, 60)

      const write = yield* service.call("POST", "/api/jobs", { token, json: jobBody() })
      assert.strictEqual(write.status, 201, write.text)
      assert.strictEqual(write.headers.get("ratelimit-policy"), `"writes";q=3;w=60`)
      assert.deepInclude(rateLimit(write), { policy: "writes", remaining: 2 })

      // Errors too: a missing job, an unknown route, a bad body.
      const missing = yield* service.call("GET", "/api/jobs/999999", { token })
      assert.strictEqual(missing.status, 404)
      assert.deepInclude(rateLimit(missing), { policy: "reads", remaining: 3 })
      const noRoute = yield* service.call("GET", "/api/no-such-route", { token })
      assert.strictEqual(noRoute.status, 404)
      assert.deepInclude(rateLimit(noRoute), { policy: "reads", remaining: 2 })
      const bad = yield* service.call("POST", "/api/jobs", { token, body: "{not json", headers: { "content-type": "application/json" } })
      assert.strictEqual(bad.status, 400)
      assert.deepInclude(rateLimit(bad), { policy: "writes", remaining: 1 })

      // The probes are never limited.
      const health = yield* service.call("GET", "/api/health")
      assert.strictEqual(health.status, 200)
      assert.isNull(health.headers.get("ratelimit"))
    }))

  it.effect("past a budget: 429 problem with Retry-After; the other budget and other tokens are untouched", () =>
    Effect.gen(function*() {
      yield* awayFromMinuteEdge
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("greedy"))
      for (let n = 0; n < 5; n++) assert.strictEqual((yield* service.call("GET", "/api/jobs", { token })).status, 200)
      const refused = yield* service.call("GET", "/api/jobs", { token })
      const problem = assertProblem(refused, 429, "rate-limited")
      assert.strictEqual(problem.limit, "reads")
      assert.strictEqual(problem.requests_per_minute, 5)
      const limit = rateLimit(refused)
      assert.strictEqual(limit.remaining, 0)
      assert.strictEqual(refused.headers.get("retry-after"), String(limit.reset))
      assert.strictEqual(problem.retry_after_seconds, limit.reset)
      assert.include(problem.detail, "More than 5 reads")
      assert.strictEqual(refused.headers.get("x-content-type-options"), "nosniff", "a 429 has the security headers too")

      // Writes have their own budget; another token has its own.
      const write = yield* service.call("POST", "/api/jobs", { token, json: jobBody() })
      assert.strictEqual(write.status, 201, write.text)
      const other = yield* service.tokenFor(unique("patient"))
      assert.strictEqual((yield* service.call("GET", "/api/jobs", { token: other })).status, 200)
    }))

  it.effect("the 4th write of a minute is refused", () =>
    Effect.gen(function*() {
      yield* awayFromMinuteEdge
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("writer"))
      for (let n = 0; n < 3; n++) assert.strictEqual((yield* service.call("POST", "/api/jobs", { token, json: jobBody() })).status, 201)
      const refused = yield* service.call("POST", "/api/jobs", { token, json: jobBody() })
      assert.strictEqual(assertProblem(refused, 429, "rate-limited").limit, "writes")
      assert.isNotNull(refused.headers.get("retry-after"))
    }))
})

layer(TestServiceLive(limits), { excludeTestServices: true })("rate limits: anonymous requests", (it) => {
  it.effect("requests without a valid token share their address's budget, made-up tokens included; valid tokens do not", () =>
    Effect.gen(function*() {
      yield* awayFromMinuteEdge
      const service = yield* TestService
      const none = yield* service.call("GET", "/api/jobs")
      assert.strictEqual(none.status, 401)
      assert.strictEqual(none.headers.get("ratelimit-policy"), `"anonymous";q=4;w=60`)
      assert.deepInclude(rateLimit(none), { policy: "anonymous", remaining: 3 })
      for (const made of ["made-up-1", "made-up-2"]) {
        assert.strictEqual((yield* service.call("GET", "/api/jobs", { token: made })).status, 401)
      }
      assert.strictEqual((yield* service.call("GET", "/api/config")).status, 200)
      const refused = yield* service.call("GET", "/api/jobs", { token: "made-up-3" })
      assert.strictEqual(assertProblem(refused, 429, "rate-limited").limit, "anonymous")
      assert.isNotNull(refused.headers.get("retry-after"))

      const token = yield* service.tokenFor(unique("signed-in"))
      assert.strictEqual((yield* service.call("GET", "/api/jobs", { token })).status, 200)
    }))
})

layer(TestServiceLive({ rateLimitReadsPerMinute: 0, rateLimitWritesPerMinute: 0, rateLimitAnonymousPerMinute: 0 }), {
  excludeTestServices: true
})("rate limits: off", (it) => {
  it.effect("with every budget 0 nothing is counted and no header is sent", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("unlimited"))
      for (let n = 0; n < 10; n++) {
        const reply = yield* service.call("GET", "/api/jobs", { token })
        assert.strictEqual(reply.status, 200)
        assert.isNull(reply.headers.get("ratelimit"))
      }
    }))
})

it.effect("two API processes on one database share a token's budget", () =>
  Effect.gen(function*() {
    const [a, b] = yield* apiProcesses(2, limits)
    yield* awayFromMinuteEdge
    const token = yield* a!.tokenFor("shared-budget")
    const get = (base: string) =>
      Effect.promise(async () => toReply(await fetch(`${base}/api/jobs`, { headers: { authorization: `Bearer ${token}` } })))
    const remaining: Array<number> = []
    for (const base of [a!.baseUrl, b!.baseUrl, a!.baseUrl, b!.baseUrl, a!.baseUrl]) {
      const reply = yield* get(base)
      assert.strictEqual(reply.status, 200, reply.text)
      remaining.push(rateLimit(reply).remaining)
    }
    assert.deepStrictEqual(remaining, [4, 3, 2, 1, 0])
    assertProblem(yield* get(b!.baseUrl), 429, "rate-limited")
    assertProblem(yield* get(a!.baseUrl), 429, "rate-limited")
  }), { timeout: 120_000 })
