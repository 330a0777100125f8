import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { JobId } from "../../src/domain/ids.ts"
import type { JobPage } from "../../src/domain/job.ts"
import { type ApiClient, TestService, TestServiceLive } from "../support/service.ts"
import { assertBadRequest, assertProblem, createJob, failsWith, newUser, setStatus, unique } from "../support/api-fixtures.ts"

/** A fresh user with `count` jobs created one after another; their ids, oldest first. */
const userWithJobs = (count: number) =>
  Effect.gen(function*() {
    const { token, api } = yield* newUser("lister")
    const ids: Array<JobId> = []
    for (let i = 0; i < count; i++) ids.push((yield* createJob(api)).id)
    return { token, api, ids }
  })

/** `GET /api/jobs` with these paging parameters. */
const list = (api: ApiClient, query: { readonly page?: number; readonly per_page?: number; readonly after?: JobId } = {}) =>
  api.jobs.list({ query })

layer(TestServiceLive(), { excludeTestServices: true })("GET /api/jobs, /api/jobs/:id and its results", (it) => {
  it.effect("?status= lists only the jobs in that status, with their own total and pages; a bad status is 400", () =>
    Effect.gen(function*() {
      const { api, ids } = yield* userWithJobs(5)
      yield* setStatus(ids[0]!, "CANCELLED")
      yield* setStatus(ids[3]!, "CANCELLED")
      const cancelled = yield* api.jobs.list({ query: { status: "CANCELLED" } })
      assert.deepStrictEqual(cancelled.jobs.map((job) => job.id), [ids[3]!, ids[0]!])
      assert.strictEqual(cancelled.total, 2)
      const pending = yield* api.jobs.list({ query: { status: "PENDING", per_page: 2 } })
      assert.deepStrictEqual(pending.jobs.map((job) => job.id), [ids[4]!, ids[2]!])
      assert.strictEqual(pending.total, 3)
      const rest = yield* api.jobs.list({ query: { status: "PENDING", per_page: 2, after: JobId.make(pending.next_after!) } })
      assert.deepStrictEqual(rest.jobs.map((job) => job.id), [ids[1]!])
      // Without a filter: all five.
      assert.strictEqual((yield* api.jobs.list({ query: {} })).total, 5)
      const service = yield* TestService
      const { token } = yield* newUser("lister-bad")
      assertBadRequest(yield* service.call("GET", "/api/jobs?status=SLEEPING", { token }), ["query", "status"])
    }))

  it.effect("the list holds only the caller's jobs, newest first, with defaults page 1 and per_page 10", () =>
    Effect.gen(function*() {
      const alice = yield* userWithJobs(3)
      const bob = yield* userWithJobs(1)
      const alicePage = yield* list(alice.api)
      assert.deepStrictEqual(alicePage.jobs.map((job) => job.id), [...alice.ids].reverse())
      assert.strictEqual(alicePage.total, 3)
      assert.strictEqual(alicePage.page, 1)
      assert.strictEqual(alicePage.per_page, 10)
      const bobPage = yield* list(bob.api)
      assert.deepStrictEqual(bobPage.jobs.map((job) => job.id), bob.ids)
      assert.strictEqual(bobPage.total, 1)
    }))

  it.effect("a new user sees an empty list", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("newcomer")
      assert.deepStrictEqual(yield* list(api), { jobs: [], total: 0, page: 1, per_page: 10, next_after: null })
    }))

  it.effect("pages split the newest-first order without gaps or overlaps; total counts every job", () =>
    Effect.gen(function*() {
      const { api, ids } = yield* userWithJobs(12)
      const newestFirst = [...ids].reverse()
      const first = yield* list(api)
      assert.deepStrictEqual(first.jobs.map((job) => job.id), newestFirst.slice(0, 10))
      assert.strictEqual(first.total, 12)
      const second = yield* list(api, { page: 2 })
      assert.deepStrictEqual(second.jobs.map((job) => job.id), newestFirst.slice(10))
      assert.strictEqual(second.total, 12)
      assert.strictEqual(second.page, 2)
      const pagesOfFive: Array<number> = []
      for (const page of [1, 2, 3]) {
        const reply = yield* list(api, { page, per_page: 5 })
        assert.strictEqual(reply.per_page, 5)
        pagesOfFive.push(...reply.jobs.map((job) => job.id))
      }
      assert.deepStrictEqual(pagesOfFive, newestFirst)
      const beyond = yield* list(api, { page: 4, per_page: 5 })
      assert.deepStrictEqual(beyond.jobs, [])
      assert.strictEqual(beyond.total, 12)
      const all = yield* list(api, { per_page: 100 })
      assert.strictEqual(all.jobs.length, 12)
      assert.isNull(all.next_after, "nothing after the last page")
    }))

  it.effect("after: each page continues from the last job of the one before (keyset), to the end", () =>
    Effect.gen(function*() {
      const { api, ids } = yield* userWithJobs(12)
      const other = yield* userWithJobs(2)
      const seen: Array<JobId> = []
      let after: JobId | undefined = undefined
      for (let pages = 1; pages <= 4; pages++) {
        const reply: JobPage = yield* list(api, { per_page: 5, ...(after === undefined ? {} : { after }) })
        seen.push(...reply.jobs.map((job) => job.id))
        assert.strictEqual(reply.total, 12)
        if (reply.next_after === null) break
        after = reply.next_after as JobId
      }
      assert.deepStrictEqual(seen, [...ids].reverse(), "every job once, newest first")
      const foreign = yield* list(api, { after: other.ids[0] as JobId })
      assert.deepStrictEqual(foreign.jobs, [], "another user's job id is no cursor into this list")
    }))

  it.effect("a job replaced by a retry is hidden, and total is counted after hiding it", () =>
    Effect.gen(function*() {
      const { api, ids } = yield* userWithJobs(2)
      const [original, other] = ids as [JobId, JobId]
      yield* api.jobs.cancel({ params: { id: original } })
      const retry = yield* api.jobs.retry({ params: { id: original } })
      const page = yield* list(api)
      assert.deepStrictEqual(page.jobs.map((job) => job.id), [retry.id, other])
      assert.strictEqual(page.total, 2)
      // Hidden from the list, but still there for whoever follows retry_of.
      const hidden = yield* api.jobs.get({ params: { id: original } })
      assert.strictEqual(hidden.status, "CANCELLED")
    }))

  // Raw HTTP: the client checks the query against the same schema and would not send these.
  it.effect("invalid paging is a 400 naming the parameter", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("pager"))
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["?page=0", "page"],
        ["?page=-1", "page"],
        ["?page=x", "page"],
        ["?page=1.5", "page"],
        ["?per_page=0", "per_page"],
        ["?per_page=101", "per_page"],
        ["?per_page=ten", "per_page"],
        ["?page=1&per_page=2.5", "per_page"]
      ]
      for (const [query, field] of cases) {
        const reply = yield* service.call("GET", `/api/jobs${query}`, { token })
        assert.strictEqual(reply.status, 400, `${query}: ${reply.text}`)
        assertBadRequest(reply, ["query", field])
      }
    }))

  it.effect("GET /api/jobs/:id returns the caller's job", () =>
    Effect.gen(function*() {
      const { api, ids } = yield* userWithJobs(1)
      const job = yield* api.jobs.get({ params: { id: ids[0]! } })
      assert.strictEqual(job.id, ids[0])
      assert.strictEqual(job.status, "PENDING")
    }))

  // Raw HTTP: the exact problem bodies are compared, which the decoded errors would not show in full.
  it.effect("another user's job is a 404 exactly like a missing one", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const owner = yield* userWithJobs(1)
      const stranger = yield* service.tokenFor(unique("stranger"))
      const id = owner.ids[0]!
      const missingId = id + 1_000_000
      const foreign = yield* service.call("GET", `/api/jobs/${id}`, { token: stranger })
      const missing = yield* service.call("GET", `/api/jobs/${missingId}`, { token: stranger })
      const foreignBody = assertProblem(foreign, 404, "job-not-found")
      const missingBody = assertProblem(missing, 404, "job-not-found")
      // Same shape and wording; only the id the caller asked for differs.
      assert.deepStrictEqual(
        // (Only the id in the detail is replaced: a bare replace of "40" would also hit the status 404.)
        JSON.parse(foreign.text.replaceAll(`Job ${id} `, "Job ID ")),
        JSON.parse(missing.text.replaceAll(`Job ${missingId} `, "Job ID "))
      )
      assert.deepStrictEqual(Object.keys(foreignBody).sort(), Object.keys(missingBody).sort())
      assert.notInclude(foreign.text, "user", "the answer must not hint at an owner")
    }))

  // Raw HTTP: the client only sends valid ids.
  it.effect("a non-numeric, zero, negative or fractional id is a 400 naming the id", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("pager"))
      for (const id of ["abc", "0", "-3", "1.5", "12abc"]) {
        const reply = yield* service.call("GET", `/api/jobs/${id}`, { token })
        assert.strictEqual(reply.status, 400, `${id}: ${reply.text}`)
        assertBadRequest(reply, ["params", "id"])
      }
    }))

  it.effect("an id beyond the database's integer range is a 404, not a 500", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("pager")
      yield* failsWith(api.jobs.get({ params: { id: JobId.make(99999999999) } }), "JobNotFound")
    }))

  it.effect("sim-data and report are 404 not-available until the job has them", () =>
    Effect.gen(function*() {
      const { api, ids } = yield* userWithJobs(1)
      const id = ids[0]!
      yield* failsWith(api.jobs.simData({ params: { id } }), "NotAvailable")
      yield* failsWith(api.jobs.report({ params: { id } }), "NotAvailable")
    }))

  it.effect("the report is served once the job has one, with its key insight", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api, ids } = yield* userWithJobs(1)
      const id = ids[0]!
      yield* sql`UPDATE simulation_jobs SET status = 'COMPLETED', result_report = '# Report\n\nThe tram line passes.',
        key_insight = 'Approval is likely', result_structured = '{"brief": "Riders carry it", "verdict": "Approval is likely", "findings": []}'::jsonb WHERE id = ${id}`
        .pipe(Effect.orDie)
      const report = yield* api.jobs.report({ params: { id } })
      assert.deepStrictEqual(report, {
        job_id: id,
        report: "# Report\n\nThe tram line passes.",
        key_insight: "Approval is likely",
        // A three-part result (stored before the other six parts existed) still reads.
        structured: { brief: "Riders carry it", verdict: "Approval is likely", findings: [] }
      })
      const job = yield* api.jobs.get({ params: { id } })
      assert.strictEqual(job.key_insight, "Approval is likely")
    }))

  it.effect("an empty report is still not available", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api, ids } = yield* userWithJobs(1)
      yield* sql`UPDATE simulation_jobs SET result_report = '' WHERE id = ${ids[0]!}`.pipe(Effect.orDie)
      yield* failsWith(api.jobs.report({ params: { id: ids[0]! } }), "NotAvailable")
    }))

  it.effect("another user's sim-data and report are 404 job-not-found, even when the report exists", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const { ids } = yield* userWithJobs(1)
      const stranger = yield* newUser("stranger")
      yield* sql`UPDATE simulation_jobs SET result_report = 'secret' WHERE id = ${ids[0]!}`.pipe(Effect.orDie)
      // Raw HTTP: the whole body must not leak the report, and a decoded error keeps only its declared fields.
      const report = yield* service.call("GET", `/api/jobs/${ids[0]}/report`, { token: stranger.token })
      assertProblem(report, 404, "job-not-found")
      assert.notInclude(report.text, "secret")
      yield* failsWith(stranger.api.jobs.simData({ params: { id: ids[0]! } }), "JobNotFound")
    }))
})
