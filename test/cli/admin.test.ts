/**
 * `fishcloud admin users|tokens ...` and `fishcloud audit` as an administrator scripts them: over the HTTP API with
 * an admin-scoped token (no database access), the issued token alone on stdout, lists that never show a token, and
 * a one-line error for a token without the admin scope.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { unique } from "../support/api-fixtures.ts"
import { assertOneLineError, runCli, scopedHome } from "../support/cli-process.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

layer(TestServiceLive(), { excludeTestServices: true })("fishcloud CLI: admin and audit", (it) => {
  it.effect("an administrator creates a user, issues, lists and revokes their token, and reads the audit log", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const home = yield* scopedHome
      const adminToken = yield* service.tokenFor(unique("root"), { admin: true })
      const env = { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: adminToken, FISHCLOUD_HOME: home }
      const user = `carol-${Date.now()}`

      const created = yield* runCli(["admin", "users", "create", user], env)
      assert.strictEqual(created.code, 0, created.stderr)
      assert.match(created.stdout, new RegExp(`${user}\\s+no`))

      const issued = yield* runCli(["admin", "tokens", "issue", "--user", user, "--name", "ci runner", "--scope", "read", "--expires-in-days", "30"], env)
      assert.strictEqual(issued.code, 0, issued.stderr)
      const token = issued.stdout.trim()
      assert.match(token, /^fc_[A-Za-z0-9_-]{40,}$/, "stdout is the token alone")
      assert.include(issued.stderr, "shown only once")
      const me = yield* service.call("GET", "/api/me", { token })
      assert.deepStrictEqual(me.json, { name: user, admin: false })
      const refused = yield* service.call("POST", "/api/jobs/1/cancel", { token })
      assert.strictEqual(refused.status, 403)

      const [users, tokens] = yield* Effect.all([
        runCli(["admin", "users", "list"], env),
        runCli(["admin", "tokens", "list", "--user", user, "--json"], env)
      ], { concurrency: 2 })
      assert.include(users.stdout, user)
      const listed = JSON.parse(tokens.stdout) as ReadonlyArray<{ id: number; name: string; scope: string; expires_at: string | null }>
      assert.strictEqual(listed.length, 1)
      assert.deepInclude(listed[0], { name: "ci runner", scope: "read" })
      assert.isString(listed[0]!.expires_at)
      assert.notInclude(tokens.stdout, token)

      const revoked = yield* runCli(["admin", "tokens", "revoke", String(listed[0]!.id)], env)
      assert.strictEqual(revoked.code, 0, revoked.stderr)
      assert.include(revoked.stdout, "ci runner")
      const after = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(after.status, 401)
      assert.include(after.json.detail, "revoked")

      const audit = yield* runCli(["audit", "--user", user], env)
      assert.strictEqual(audit.code, 0, audit.stderr)
      assert.include(audit.stdout, "jobs.cancel")
      assert.include(audit.stdout, "ci runner")
      assert.include(audit.stdout, "403")
      assert.notInclude(audit.stdout, token)

      // A token without the admin scope hears which scope is needed, in one line.
      const submitToken = yield* service.tokenFor(unique("dave"))
      const denied = yield* runCli(["admin", "users", "list"], { ...env, FISHCLOUD_TOKEN: submitToken })
      assertOneLineError(denied, "admin scope")
    }), { timeout: 240_000 })
})
