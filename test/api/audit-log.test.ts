/**
 * The audit log: every state-changing request of a job's life (create, cancel, retry, share, delete) is an entry
 * naming the user, the token's name, the route, the job and the status; admin changes (users, tokens) too; reads are
 * not. Entries never hold a request body's secrets or a token. `GET /api/admin/audit` filters by user, job and time,
 * in pages, for admin-scoped tokens only.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { assertProblem, jobBody, setStatus, unique } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

interface Entry {
  readonly user_name: string
  readonly token_name: string | null
  readonly scope: string | null
  readonly method: string
  readonly route: string
  readonly action: string
  readonly job_id: number | null
  readonly subject: string | null
  readonly status: number
  readonly at: string
}

const secretSeed = "SEED-SECRET-do-not-log-9f3a"

layer(TestServiceLive(), { excludeTestServices: true })("audit log", (it) => {
  it.effect("a whole job life is in the log with user and token names, newest first; reads are not", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const adminToken = yield* service.tokenFor(unique("auditor"), { admin: true })
      const user = unique("alice")
      assert.strictEqual((yield* service.call("POST", "/api/admin/users", { token: adminToken, json: { name: user } })).status, 201)
      const issued = yield* service.call("POST", "/api/admin/tokens", { token: adminToken, json: { user, name: "alice laptop", scope: "submit" } })
      const token: string = issued.json.token

      const created = yield* service.call("POST", "/api/jobs", { token, json: jobBody({ seed_text: `${secretSeed} ${"x".repeat(60)}` }) })
      assert.strictEqual(created.status, 201, created.text)
      const id: number = created.json.id
      yield* service.call("GET", `/api/jobs/${id}`, { token })
      assert.strictEqual((yield* service.call("POST", `/api/jobs/${id}/cancel`, { token })).status, 200)
      const cancelAgain = yield* service.call("POST", `/api/jobs/${id}/cancel`, { token })
      assert.strictEqual(cancelAgain.status, 409)
      const retried = yield* service.call("POST", `/api/jobs/${id}/retry`, { token })
      assert.strictEqual(retried.status, 201, retried.text)
      const retryId: number = retried.json.id
      yield* setStatus(id, "COMPLETED")
      const shared = yield* service.call("POST", `/api/jobs/${id}/share`, { token })
      assert.strictEqual(shared.status, 200, shared.text)
      assert.strictEqual((yield* service.call("DELETE", `/api/jobs/${id}/share`, { token })).status, 204)
      assert.strictEqual((yield* service.call("DELETE", `/api/jobs/${id}`, { token })).status, 204)

      const page = yield* service.call("GET", `/api/admin/audit?user=${encodeURIComponent(user)}`, { token: adminToken })
      assert.strictEqual(page.status, 200, page.text)
      const entries = (page.json.entries as ReadonlyArray<Entry>).slice().reverse()
      assert.deepStrictEqual(
        entries.map((entry) => [entry.action, entry.method, entry.route, entry.job_id, entry.status]),
        [
          ["jobs.create", "POST", "/api/jobs", id, 201],
          ["jobs.cancel", "POST", "/api/jobs/:id/cancel", id, 200],
          ["jobs.cancel", "POST", "/api/jobs/:id/cancel", id, 409],
          ["jobs.retry", "POST", "/api/jobs/:id/retry", id, 201],
          ["results.share", "POST", "/api/jobs/:id/share", id, 200],
          ["results.unshare", "DELETE", "/api/jobs/:id/share", id, 204],
          ["jobs.delete", "DELETE", "/api/jobs/:id", id, 204]
        ]
      )
      assert.strictEqual(page.json.total, 7)
      for (const entry of entries) {
        assert.strictEqual(entry.user_name, user)
        assert.strictEqual(entry.token_name, "alice laptop")
        assert.strictEqual(entry.scope, "submit")
        assert.isBelow(Math.abs(Date.parse(entry.at) - Date.now()), 60_000)
      }
      assert.strictEqual(entries[3]!.subject, `new job ${retryId}`, "the retry names the new job")

      // By job, and from a time on.
      const byJob = yield* service.call("GET", `/api/admin/audit?job=${id}`, { token: adminToken })
      assert.strictEqual(byJob.json.total, 7)
      const future = new Date(Date.now() + 60_000).toISOString()
      const none = yield* service.call("GET", `/api/admin/audit?user=${encodeURIComponent(user)}&since=${future}`, { token: adminToken })
      assert.strictEqual(none.json.total, 0)
      const paged = yield* service.call("GET", `/api/admin/audit?user=${encodeURIComponent(user)}&per_page=3&page=3`, { token: adminToken })
      assert.strictEqual(paged.json.entries.length, 1)
      assert.strictEqual(paged.json.entries[0].action, "jobs.create")
      assertProblem(yield* service.call("GET", `/api/admin/audit?since=yesterday`, { token: adminToken }), 400)

      // The admin's own changes: the user created and the token issued, named but never the token.
      const adminEntries = yield* service.call("GET", `/api/admin/audit?per_page=500`, { token: adminToken })
      const issuedEntry = (adminEntries.json.entries as ReadonlyArray<Entry>).find((entry) =>
        entry.action === "adminTokens.issue" && entry.subject?.includes(user) === true)
      assert.isDefined(issuedEntry, adminEntries.text)
      assert.include(issuedEntry!.subject, `"alice laptop" of ${user} (submit)`)
      assert.isDefined((adminEntries.json.entries as ReadonlyArray<Entry>).find((entry) =>
        entry.action === "adminUsers.create" && entry.subject === `user ${user}`))
      // The audit log is for admin-scoped tokens only.
      assertProblem(yield* service.call("GET", "/api/admin/audit", { token }), 403, "insufficient-scope")
    }))

  it.effect("no audit row holds a token, a token hash or a request body's text; refused writes are recorded too", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const adminToken = yield* service.tokenFor(unique("auditor"), { admin: true })
      const user = unique("bob")
      yield* service.call("POST", "/api/admin/users", { token: adminToken, json: { name: user } })
      const reader = yield* service.call("POST", "/api/admin/tokens", { token: adminToken, json: { user, name: "dash", scope: "read" } })
      const readToken: string = reader.json.token
      const refused = yield* service.call("POST", "/api/jobs", { token: readToken, json: jobBody({ seed_text: `${secretSeed} refused` }) })
      assertProblem(refused, 403, "insufficient-scope")
      yield* service.call("POST", `/api/admin/tokens/${reader.json.info.id}/revoke`, { token: adminToken })

      const page = yield* service.call("GET", `/api/admin/audit?user=${encodeURIComponent(user)}`, { token: adminToken })
      assert.deepStrictEqual(
        (page.json.entries as ReadonlyArray<Entry>).map((entry) => [entry.action, entry.token_name, entry.scope, entry.status]),
        [["jobs.create", "dash", "read", 403]]
      )
      const hashes = yield* sql<{ token_sha256: string }>`SELECT token_sha256 FROM api_tokens`.pipe(Effect.orDie)
      const rows = yield* sql`SELECT * FROM audit_log`.pipe(Effect.orDie)
      const dump = JSON.stringify(rows)
      assert.isAbove(rows.length, 0)
      for (const secret of [adminToken, readToken, secretSeed, ...hashes.map((row) => row.token_sha256)]) {
        assert.notInclude(dump, secret)
      }
    }))
})
