/**
 * Scoped, expiring, revocable tokens: a `read` token is refused (403 naming the scope) on every write route of the
 * API, a `submit` token on every admin route; an expired or revoked token is a 401 saying so; `last_used_at` moves.
 * The routes come from the HttpApi definition itself, so a new write route is covered the day it is added.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { Api } from "../../src/api/definition.ts"
import { Authorization } from "../../src/api/security.ts"
import { assertProblem, jobBody, unique } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

interface Route {
  readonly method: string
  readonly path: string
}

/** Every authenticated route of the definition, with sample path parameters. */
const authenticatedRoutes: ReadonlyArray<Route> = Object.values(Api.groups).flatMap((group) =>
  Object.values(group.endpoints)
    .filter((endpoint) => endpoint.middlewares.has(Authorization))
    .map((endpoint) => ({
      method: endpoint.method,
      path: endpoint.path.replace(/:id\b/g, "1").replace(/:tier\b/g, "small").replace(/:[a-z_]+/g, "x").replace(/\/$/, "")
    }))
)
const writeRoutes = authenticatedRoutes.filter((route) => route.method !== "GET")
const adminRoutes = authenticatedRoutes.filter((route) => route.path.startsWith("/api/admin/"))

/** An administrator's admin-scoped token, and a helper issuing tokens through the admin API with it. */
const admin = Effect.gen(function*() {
  const service = yield* TestService
  const token = yield* service.tokenFor(unique("admin"), { admin: true })
  const issue = (body: Record<string, unknown>) =>
    Effect.gen(function*() {
      const reply = yield* service.call("POST", "/api/admin/tokens", { token, json: body })
      assert.strictEqual(reply.status, 201, reply.text)
      return reply.json as { token: string; info: { id: number; name: string; scope: string; last_used_at: string | null } }
    })
  const newUserToken = (scope: string, extra: Record<string, unknown> = {}) =>
    Effect.gen(function*() {
      const user = unique("member")
      const created = yield* service.call("POST", "/api/admin/users", { token, json: { name: user } })
      assert.strictEqual(created.status, 201, created.text)
      return { user, ...(yield* issue({ user, name: `${scope} laptop`, scope, ...extra })) }
    })
  return { token, issue, newUserToken }
})

layer(TestServiceLive(), { excludeTestServices: true })("token scopes, expiry and revocation", (it) => {
  it.effect("the definition has write and admin routes to check", () =>
    Effect.sync(() => {
      assert.isAtLeast(writeRoutes.length, 11, JSON.stringify(writeRoutes))
      assert.isAtLeast(adminRoutes.length, 6, JSON.stringify(adminRoutes))
    }))

  it.effect("a read token reads but is refused on every write route with a 403 naming the scope needed", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token: adminToken, newUserToken } = yield* admin
      const { token, user } = yield* newUserToken("read")
      const list = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(list.status, 200, list.text)
      for (const route of writeRoutes) {
        const reply = yield* service.call(route.method, route.path, { token, json: jobBody() })
        const problem = assertProblem(reply, 403, "insufficient-scope")
        assert.strictEqual(problem.token_scope, "read", `${route.method} ${route.path}`)
        assert.include(["submit", "admin"], problem.required_scope, `${route.method} ${route.path}`)
        assert.include(problem.detail, `the ${problem.required_scope} scope`)
      }
      const jobs = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(jobs.json.total, 0, "no write went through")
      // Every refused write is in the audit log, one entry per route, with the route's template and the 403.
      const audit = yield* service.call("GET", `/api/admin/audit?per_page=500&user=${encodeURIComponent(user)}`, { token: adminToken })
      assert.strictEqual(audit.json.total, writeRoutes.length, audit.text)
      assert.isTrue((audit.json.entries as ReadonlyArray<{ status: number }>).every((entry) => entry.status === 403))
    }))

  it.effect("a submit token creates and cancels jobs but is refused on every admin route; so is an admin's submit token", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { newUserToken, issue } = yield* admin
      const { token } = yield* newUserToken("submit")
      const created = yield* service.call("POST", "/api/jobs", { token, json: jobBody() })
      assert.strictEqual(created.status, 201, created.text)
      const cancelled = yield* service.call("POST", `/api/jobs/${created.json.id}/cancel`, { token })
      assert.strictEqual(cancelled.status, 200, cancelled.text)
      const adminName = unique("admin-user")
      yield* service.tokenFor(adminName, { admin: true })
      const adminSubmit = yield* issue({ user: adminName, name: "ci", scope: "submit" })
      for (const candidate of [token, adminSubmit.token]) {
        for (const route of adminRoutes) {
          const reply = yield* service.call(route.method, route.path, route.method === "GET" ? { token: candidate } : { token: candidate, json: {} })
          const problem = assertProblem(reply, 403, "insufficient-scope")
          assert.strictEqual(problem.required_scope, "admin", `${route.method} ${route.path}`)
        }
      }
      // Routing is an administrator's: an admin's submit token does not carry the role.
      const routing = yield* service.call("PUT", "/api/routing/small", {
        token: adminSubmit.token,
        json: { model_id: "m", gpu_type: "g", max_rounds: 1, target_agents: 1, vllm_args: null }
      })
      assertProblem(routing, 403, "admin-only")
      const me = yield* service.call("GET", "/api/me", { token: adminSubmit.token })
      assert.deepStrictEqual(me.json, { name: adminName, admin: false })
    }))

  it.effect("admin scope is only for administrators", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, newUserToken } = yield* admin
      const { user } = yield* newUserToken("read")
      const reply = yield* service.call("POST", "/api/admin/tokens", { token, json: { user, name: "x", scope: "admin" } })
      const problem = assertProblem(reply, 422, "account-request-refused")
      assert.include(problem.detail, "not an administrator")
    }))

  it.effect("an expired token is a 401 saying when it expired; a revoked one a 401 saying so, at once", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const { token: adminToken, newUserToken } = yield* admin
      const soon = new Date(Date.now() + 60 * 60_000).toISOString()
      const expiring = yield* newUserToken("submit", { expires_at: soon })
      const ok = yield* service.call("GET", "/api/jobs", { token: expiring.token })
      assert.strictEqual(ok.status, 200, ok.text)
      yield* sql`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${expiring.info.id}`.pipe(Effect.orDie)
      // Wait out the per-process trust (authenticationFreshFor caps it at what was left: here an hour, so 5 s).
      yield* Effect.sleep("5100 millis")
      const expired = assertProblem(yield* service.call("GET", "/api/jobs", { token: expiring.token }), 401, "unauthorized")
      assert.match(expired.detail, /^This token expired at \d{4}-\d\d-\d\dT/)

      const revocable = yield* newUserToken("submit")
      assert.strictEqual((yield* service.call("GET", "/api/jobs", { token: revocable.token })).status, 200)
      const revoked = yield* service.call("POST", `/api/admin/tokens/${revocable.info.id}/revoke`, { token: adminToken })
      assert.strictEqual(revoked.status, 200, revoked.text)
      assert.isString(revoked.json.revoked_at)
      // Cached as valid a moment ago, refused now: revocation clears this process's cache.
      const refused = assertProblem(yield* service.call("POST", "/api/jobs", { token: revocable.token, json: jobBody() }), 401, "unauthorized")
      assert.include(refused.detail, "This token was revoked")
      const unknown = assertProblem(yield* service.call("POST", "/api/admin/tokens/999999/revoke", { token: adminToken }), 404, "account-not-found")
      assert.isString(unknown.detail)
      const past = yield* service.call("POST", "/api/admin/tokens", {
        token: adminToken,
        json: { user: revocable.user, name: "old", scope: "read", expires_at: "2001-01-01T00:00:00Z" }
      })
      assertProblem(past, 422, "account-request-refused")
    }), { timeout: 20_000 })

  it.effect("last_used_at is empty until the token is used, then set, and the token list never shows a token", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token: adminToken, newUserToken } = yield* admin
      const issued = yield* newUserToken("read")
      const listed = (yield* service.call("GET", `/api/admin/tokens?user=${encodeURIComponent(issued.user)}`, { token: adminToken }))
      assert.strictEqual(listed.status, 200, listed.text)
      assert.strictEqual(listed.json.length, 1)
      assert.strictEqual(listed.json[0].last_used_at, null)
      assert.notInclude(listed.text, issued.token)
      assert.deepInclude(listed.json[0], { id: issued.info.id, name: "read laptop", scope: "read", user: issued.user, kind: "api", revoked_at: null })
      yield* service.call("GET", "/api/jobs", { token: issued.token })
      const after = yield* service.call("GET", `/api/admin/tokens?user=${encodeURIComponent(issued.user)}`, { token: adminToken })
      assert.isString(after.json[0].last_used_at)
      assert.isBelow(Math.abs(Date.parse(after.json[0].last_used_at) - Date.now()), 60_000)
    }))
})
