import { assert, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { assertProblem, createJob, jobBody, leavesNoRows, newJob, newUser, setStatus, unique } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

/** The first instant of next month, UTC, as the API writes it. */
const nextMonthUtc = () => {
  const now = new Date()
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().replace(".000Z", "Z")
}

/** Costs written behind the API's back, as the journal and the LLM recorder would. */
const setCosts = (id: number, gpu: number, llm: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE simulation_jobs SET gpu_cost_usd = ${gpu}, llm_cost_usd = ${llm} WHERE id = ${id}`
  }).pipe(Effect.orDie)

/** A user with a token, and the raw-call helper bound to it. */
const rawUser = (prefix: string, options?: { readonly admin?: boolean }) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const name = unique(prefix)
    const token = yield* service.tokenFor(name, options)
    return { name, token, api: yield* service.client(token) }
  })

const setQuotas = (adminToken: string, user: string, quotas: Record<string, number | null>) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const reply = yield* service.call("PUT", `/api/admin/quotas/${encodeURIComponent(user)}`, { token: adminToken, json: quotas })
    assert.strictEqual(reply.status, 200, reply.text)
    return reply.json
  })

const quotaSettings = { defaultMaxLiveJobs: 3, defaultMaxLiveJobsLarge: 1 }

layer(TestServiceLive(quotaSettings), { excludeTestServices: true })("quotas: live jobs", (it) => {
  it.effect("the 4th live job is a 429 naming the limit, the use and the jobs whose end frees a slot; ending one lets the next in", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { api, token } = yield* rawUser("three-jobs")
      const ids = [(yield* createJob(api)).id, (yield* createJob(api)).id, (yield* createJob(api)).id]
      const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: jobBody() }))
      const problem = assertProblem(reply, 429, "live-job-limit")
      assert.strictEqual(problem.limit, "max_live_jobs")
      assert.strictEqual(problem.max_live_jobs, 3)
      assert.strictEqual(problem.live_jobs, 3)
      assert.deepStrictEqual(problem.live_job_ids, ids)
      assert.include(problem.detail, "limit is 3")

      yield* api.jobs.cancel({ params: { id: ids[0]! } })
      const next = yield* createJob(api)
      assert.strictEqual(next.status, "PENDING")
    }))

  it.effect("a second live large job is refused (DEFAULT_MAX_LIVE_JOBS_LARGE=1) while a small one still starts", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { api, token } = yield* rawUser("large-jobs")
      yield* createJob(api, newJob({ tier: "large" }))
      const problem = assertProblem(
        yield* service.call("POST", "/api/jobs", { token, json: jobBody({ tier: "large" }) }),
        429,
        "live-job-limit"
      )
      assert.strictEqual(problem.limit, "max_live_jobs_large")
      assert.strictEqual(problem.live_jobs, 1)
      yield* createJob(api, newJob({ tier: "small" }))
    }))

  it.effect("a retry and a draft launch count like a create", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { api, token } = yield* rawUser("retry-launch")
      const first = yield* createJob(api)
      yield* api.jobs.cancel({ params: { id: first.id } })
      const draft = yield* api.drafts.create({ payload: newJob() })
      yield* createJob(api)
      yield* createJob(api)
      yield* createJob(api)
      assertProblem(yield* service.call("POST", `/api/jobs/${first.id}/retry`, { token }), 429, "live-job-limit")
      assertProblem(yield* service.call("POST", `/api/jobs/draft/${draft.id}/launch`, { token }), 429, "live-job-limit")
      const stillDraft = yield* api.jobs.get({ params: { id: draft.id } })
      assert.strictEqual(stillDraft.status, "DRAFT")
    }))

  it.effect("two creates racing for the last slot: exactly one passes, every time", () =>
    Effect.gen(function*() {
      const admin = yield* rawUser("race-admin", { admin: true })
      for (let round = 0; round < 5; round++) {
        const { api, name } = yield* rawUser("racer")
        yield* setQuotas(admin.token, name, { max_live_jobs: 2, max_live_jobs_large: null, monthly_spend_cap_usd: null })
        yield* createJob(api)
        const results = yield* Effect.all([Effect.result(createJob(api)), Effect.result(createJob(api))], { concurrency: "unbounded" })
        const passed = results.filter((result) => result._tag === "Success")
        const refused = results.flatMap((result) => result._tag === "Failure" ? [result.failure._tag] : [])
        assert.strictEqual(passed.length, 1, `round ${round}: ${JSON.stringify(refused)}`)
        assert.deepStrictEqual(refused, ["LiveJobLimit"])
        const usage = yield* api.usage.get({ query: {} })
        assert.strictEqual(usage.live_jobs, 2)
      }
    }))

  it.effect("an administrator's 0 suspends a user; null lifts the limit", () =>
    Effect.gen(function*() {
      const admin = yield* rawUser("suspend-admin", { admin: true })
      const { api, name } = yield* rawUser("suspended")
      yield* setQuotas(admin.token, name, { max_live_jobs: 0, max_live_jobs_large: null, monthly_spend_cap_usd: null })
      const refused = yield* Effect.flip(createJob(api))
      assert.strictEqual(refused._tag, "LiveJobLimit")
      yield* setQuotas(admin.token, name, { max_live_jobs: null, max_live_jobs_large: null, monthly_spend_cap_usd: null })
      for (let i = 0; i < 5; i++) yield* createJob(api)
    }))
})

layer(TestServiceLive(quotaSettings), { excludeTestServices: true })("quotas: monthly spend cap", (it) => {
  it.effect("past the cap a create is a 402 with the month's spend, the cap and the first of next month; the live job is not stopped", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const admin = yield* rawUser("cap-admin", { admin: true })
      const { api, name, token } = yield* rawUser("spender")
      yield* setQuotas(admin.token, name, { max_live_jobs: 10, max_live_jobs_large: 1, monthly_spend_cap_usd: 1 })
      const done = yield* createJob(api)
      yield* setStatus(done.id, "COMPLETED")
      yield* setCosts(done.id, 0.5, 0.2)
      const running = yield* createJob(api)
      yield* setStatus(running.id, "RUNNING")
      // The running job's pod has run for an hour at $0.40/h: $1.10 in all, past the cap.
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO pods (job_id, provider, pod_id, name, cost_per_hour, requested_at)
        VALUES (${running.id}, 'fake', ${unique("pod")}, 'pod', 0.4, now() - interval '1 hour')`.pipe(Effect.orDie)

      const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, json: jobBody() }))
      const problem = assertProblem(reply, 402, "spend-cap-reached")
      assert.strictEqual(problem.limit, "monthly_spend_cap_usd")
      assert.strictEqual(problem.monthly_spend_cap_usd, 1)
      assert.closeTo(problem.month_spend_usd, 1.1, 0.01)
      assert.strictEqual(problem.resets_at, nextMonthUtc())
      assert.include(problem.detail, "$1.10")

      // The job that crossed the cap runs on.
      assert.strictEqual((yield* api.jobs.get({ params: { id: running.id } })).status, "RUNNING")
      const usage = yield* api.usage.get({ query: {} })
      assert.strictEqual(usage.jobs_created, 2)
      assert.closeTo(usage.gpu_cost_usd, 0.9, 0.01)
      assert.closeTo(usage.llm_cost_usd, 0.2, 0.01)
      assert.closeTo(usage.spend_usd, 1.1, 0.01)
      assert.strictEqual(usage.resets_at, nextMonthUtc())
      assert.deepStrictEqual(usage.quotas, { max_live_jobs: 10, max_live_jobs_large: 1, monthly_spend_cap_usd: 1 })

      // Raising the cap lets the next job in.
      yield* setQuotas(admin.token, name, { max_live_jobs: 10, max_live_jobs_large: 1, monthly_spend_cap_usd: 5 })
      yield* createJob(api)
    }))

  it.effect("deleting jobs gives no spend back: a deleted job's cost still counts against the cap", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const admin = yield* rawUser("delete-admin", { admin: true })
      const { api, name, token } = yield* rawUser("deleter")
      yield* setQuotas(admin.token, name, { max_live_jobs: 10, max_live_jobs_large: 1, monthly_spend_cap_usd: 1 })
      const done = yield* createJob(api)
      yield* setStatus(done.id, "COMPLETED")
      yield* setCosts(done.id, 0.8, 0.1)
      // A live job with a pod up for half an hour at $0.40/h ($0.20), deleted (so cancelled) before any cost was recorded.
      const live = yield* createJob(api)
      yield* setStatus(live.id, "RUNNING")
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO pods (job_id, provider, pod_id, name, cost_per_hour, requested_at)
        VALUES (${live.id}, 'fake', ${unique("pod")}, 'pod', 0.4, now() - interval '30 minutes')`.pipe(Effect.orDie)
      yield* api.jobs.delete({ params: { id: done.id } })
      yield* api.jobs.delete({ params: { id: live.id } })
      const usage = yield* api.usage.get({ query: {} })
      assert.strictEqual(usage.jobs_created, 2)
      assert.closeTo(usage.gpu_cost_usd, 1.0, 0.01)
      assert.closeTo(usage.spend_usd, 1.1, 0.01)
      assertProblem(yield* service.call("POST", "/api/jobs", { token, json: jobBody() }), 402, "spend-cap-reached")
    }))

  it.effect("last month's spend does not count", () =>
    Effect.gen(function*() {
      const admin = yield* rawUser("old-admin", { admin: true })
      const { api, name } = yield* rawUser("old-spender")
      yield* setQuotas(admin.token, name, { max_live_jobs: 10, max_live_jobs_large: 1, monthly_spend_cap_usd: 1 })
      const old = yield* createJob(api)
      yield* setStatus(old.id, "COMPLETED")
      yield* setCosts(old.id, 50, 0)
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE simulation_jobs SET created_at = date_trunc('month', now()) - interval '1 day' WHERE id = ${old.id}`.pipe(Effect.orDie)
      yield* createJob(api)
      const previous = new Date()
      previous.setUTCDate(1)
      previous.setUTCMonth(previous.getUTCMonth() - 1)
      const month = previous.toISOString().slice(0, 7)
      const then = yield* api.usage.get({ query: { month } })
      assert.strictEqual(then.month, month)
      assert.strictEqual(then.jobs_created, 1)
      assert.strictEqual(then.spend_usd, 50)
    }))
})

layer(TestServiceLive({ ...quotaSettings, defaultMonthlySpendCapUsd: Option.some(0) }), { excludeTestServices: true })(
  "quotas: DEFAULT_MONTHLY_SPEND_CAP_USD",
  (it) => {
    it.effect("applies to users without their own quotas, not to administrators", () =>
      Effect.gen(function*() {
        const { api } = yield* newUser("capped-by-default")
        const refused = yield* Effect.flip(createJob(api))
        assert.strictEqual(refused._tag, "SpendCapReached")
        const admin = yield* newUser("uncapped-admin", { admin: true })
        yield* createJob(admin.api)
        const usage = yield* admin.api.usage.get({ query: {} })
        assert.strictEqual(usage.quota_source, "default")
        assert.isNull(usage.quotas.monthly_spend_cap_usd)
      }))
  }
)

layer(TestServiceLive(quotaSettings), { excludeTestServices: true })("usage and the admin quota endpoints", (it) => {
  it.effect("GET /api/usage is the caller's; ?user= is for administrators; unknown users are 404", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const user = yield* rawUser("usage-user")
      const other = yield* rawUser("usage-other")
      const admin = yield* rawUser("usage-admin", { admin: true })
      yield* createJob(user.api, newJob({ tier: "large" }))
      yield* createJob(user.api)
      const mine = yield* user.api.usage.get({ query: {} })
      assert.strictEqual(mine.user, user.name)
      assert.strictEqual(mine.live_jobs, 2)
      assert.strictEqual(mine.live_large_jobs, 1)
      assert.strictEqual(mine.jobs_created, 2)
      assert.strictEqual(mine.spend_usd, 0)
      assert.strictEqual(mine.quota_source, "default")
      assert.deepStrictEqual(mine.quotas, { max_live_jobs: 3, max_live_jobs_large: 1, monthly_spend_cap_usd: null })
      assert.match(mine.month, /^\d{4}-\d{2}$/)

      assertProblem(
        yield* service.call("GET", `/api/usage?user=${encodeURIComponent(user.name)}`, { token: other.token }),
        403,
        "admin-only"
      )
      const seen = yield* admin.api.usage.get({ query: { user: user.name } })
      assert.strictEqual(seen.user, user.name)
      assert.strictEqual(seen.live_jobs, 2)
      assertProblem(yield* service.call("GET", "/api/usage?user=nobody-at-all", { token: admin.token }), 404, "user-not-found")
      assertProblem(yield* service.call("GET", "/api/usage?month=2026-13", { token: user.token }), 400)
    }))

  it.effect("administrators read and set a user's quotas; others get 403; bad values 400", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const admin = yield* rawUser("quota-admin", { admin: true })
      const user = yield* rawUser("quota-user")
      const path = `/api/admin/quotas/${encodeURIComponent(user.name)}`
      const before = yield* service.call("GET", path, { token: admin.token })
      assert.strictEqual(before.status, 200, before.text)
      assert.deepStrictEqual(before.json, {
        user: user.name,
        source: "default",
        quotas: { max_live_jobs: 3, max_live_jobs_large: 1, monthly_spend_cap_usd: null }
      })
      const set = yield* setQuotas(admin.token, user.name, { max_live_jobs: 7, max_live_jobs_large: 2, monthly_spend_cap_usd: 25.5 })
      assert.deepStrictEqual(set, {
        user: user.name,
        source: "set",
        quotas: { max_live_jobs: 7, max_live_jobs_large: 2, monthly_spend_cap_usd: 25.5 }
      })
      assert.deepStrictEqual((yield* service.call("GET", path, { token: admin.token })).json, set)

      // 403 (`admin-only`, or `insufficient-scope` where the token's scope refuses it first).
      assertProblem(yield* service.call("GET", path, { token: user.token }), 403)
      assertProblem(
        yield* service.call("PUT", path, { token: user.token, json: { max_live_jobs: 99, max_live_jobs_large: null, monthly_spend_cap_usd: null } }),
        403
      )
      assertProblem(
        yield* service.call("PUT", path, { token: admin.token, json: { max_live_jobs: -1, max_live_jobs_large: null, monthly_spend_cap_usd: null } }),
        400
      )
      assertProblem(yield* service.call("GET", "/api/admin/quotas/nobody-at-all", { token: admin.token }), 404, "user-not-found")
    }))
})
