import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { ObjectStore } from "../../services/object-store.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { type ApiClient, TestService, TestServiceLive } from "../support/service.ts"
import { assertProblem, createJob, failsWith, newUser } from "../support/api-fixtures.ts"

/** A fresh user with one job; its id and the user's client. */
const userWithJob = Effect.gen(function*() {
  const { api } = yield* newUser("analyst")
  const job = yield* createJob(api)
  return { api, id: job.id }
})

/** Stores `files` (name -> content) under `sim-data/{id}/`, as a pod's upload would. */
const upload = (id: number, files: Record<string, string>) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    for (const [name, content] of Object.entries(files)) {
      yield* store.put(`sim-data/${id}/${name}`, new TextEncoder().encode(content), "application/json")
    }
  })

const simData = (api: ApiClient, id: JobId) => api.jobs.simData({ params: { id } })

layer(TestServiceLive(), { excludeTestServices: true })("GET /api/jobs/:id/sim-data", (it) => {
  it.effect("is 404 not-available while the store holds none of the job's files", () =>
    Effect.gen(function*() {
      const { api, id } = yield* userWithJob
      yield* failsWith(simData(api, id), "NotAvailable")
      // Files that are not simulation artifacts, or that belong to a job whose id starts alike, do not count.
      yield* upload(id, { "report.md": "# Report", "notes.txt": "x" })
      yield* upload(id * 10, { "posts.json": "[]" })
      yield* failsWith(simData(api, id), "NotAvailable")
    }))

  it.effect("lists a download URL for each artifact present, and only those; each URL serves that file's bytes", () =>
    Effect.gen(function*() {
      const { api, id } = yield* userWithJob
      const files = {
        "posts.json": JSON.stringify([{ id: "p1", text: "The tram line will pass" }]),
        "trades.json": JSON.stringify([{ round: 1, side: "YES" }]),
        "social_graph.json": JSON.stringify({ nodes: [], edges: [] })
      }
      yield* upload(id, { ...files, "report.md": "# Report" })
      const before = Math.floor(Date.now() / 1000)
      const reply = yield* simData(api, id)
      assert.strictEqual(reply.job_id, id)
      assert.deepStrictEqual(Object.keys(reply.files).sort(), Object.keys(files).sort())
      for (const [name, content] of Object.entries(files)) {
        const url = new URL(reply.files[name]!)
        assert.strictEqual(url.searchParams.get("method"), "GET")
        // Valid for an hour.
        const expires = Number(url.searchParams.get("expires"))
        assert.isAtLeast(expires, before + 3600)
        assert.isAtMost(expires, before + 3600 + 60)
        // No bearer token: the URL is the credential, as for a browser following a link.
        const download = yield* Effect.promise(async () => {
          const response = await fetch(url)
          return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
        })
        assert.deepStrictEqual(download, { status: 200, type: "application/json", text: content }, name)
      }
    }))

  it.effect("does not rely on the job row's sim_data_available flag: the store decides", () =>
    Effect.gen(function*() {
      const { api, id } = yield* userWithJob
      const job = yield* api.jobs.get({ params: { id } })
      assert.strictEqual(job.sim_data_available, false)
      yield* upload(id, { "chat_log.json": "[]" })
      const reply = yield* simData(api, id)
      assert.deepStrictEqual(Object.keys(reply.files), ["chat_log.json"])
    }))

  it.effect("another user's job is 404 job-not-found even when its files exist, and no URL leaks", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { id } = yield* userWithJob
      yield* upload(id, { "posts.json": "[]" })
      const { token: stranger } = yield* newUser("stranger")
      // Raw HTTP: no URL may leak anywhere in the body, and a decoded error keeps only its declared fields.
      const reply = yield* service.call("GET", `/api/jobs/${id}/sim-data`, { token: stranger })
      assertProblem(reply, 404, "job-not-found")
      assert.notInclude(reply.text, "/storage/")
    }))
})
