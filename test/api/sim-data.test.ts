import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { ObjectStore } from "../../services/object-store.ts"
import { TestService, testService } from "../support/service.ts"
import { assertProblem, newJob, unique } from "./fixtures.ts"

/** A fresh user with one job; its id and the user's token. */
const userWithJob = Effect.gen(function*() {
  const service = yield* TestService
  const token = yield* service.tokenFor(unique("analyst"))
  const reply = yield* service.call("POST", "/api/jobs", { token, json: newJob() })
  assert.strictEqual(reply.status, 201, reply.text)
  return { token, id: reply.json.id as number }
})

/** Stores `files` (name -> content) under `sim-data/{id}/`, as a pod's upload would. */
const upload = (id: number, files: Record<string, string>) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    for (const [name, content] of Object.entries(files)) {
      yield* store.put(`sim-data/${id}/${name}`, new TextEncoder().encode(content), "application/json")
    }
  })

const simData = (token: string, id: number) =>
  Effect.flatMap(TestService, (service) => service.call("GET", `/api/jobs/${id}/sim-data`, { token }))

layer(testService(), { excludeTestServices: true })("GET /api/jobs/:id/sim-data", (it) => {
  it.effect("is 404 not-available while the store holds none of the job's files", () =>
    Effect.gen(function*() {
      const { token, id } = yield* userWithJob
      assertProblem(yield* simData(token, id), 404, "not-available")
      // Files that are not simulation artifacts, or that belong to a job whose id starts alike, do not count.
      yield* upload(id, { "report.md": "# Report", "notes.txt": "x" })
      yield* upload(id * 10, { "posts.json": "[]" })
      assertProblem(yield* simData(token, id), 404, "not-available")
    }))

  it.effect("lists a download URL for each artifact present, and only those; each URL serves that file's bytes", () =>
    Effect.gen(function*() {
      const { token, id } = yield* userWithJob
      const files = {
        "posts.json": JSON.stringify([{ id: "p1", text: "The tram line will pass" }]),
        "trades.json": JSON.stringify([{ round: 1, side: "YES" }]),
        "social_graph.json": JSON.stringify({ nodes: [], edges: [] })
      }
      yield* upload(id, { ...files, "report.md": "# Report" })
      const before = Math.floor(Date.now() / 1000)
      const reply = yield* simData(token, id)
      assert.strictEqual(reply.status, 200, reply.text)
      assert.strictEqual(reply.json.job_id, id)
      assert.deepStrictEqual(Object.keys(reply.json.files).sort(), Object.keys(files).sort())
      for (const [name, content] of Object.entries(files)) {
        const url = new URL(reply.json.files[name])
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
      const service = yield* TestService
      const { token, id } = yield* userWithJob
      const job = yield* service.call("GET", `/api/jobs/${id}`, { token })
      assert.strictEqual(job.json.sim_data_available, false)
      yield* upload(id, { "chat_log.json": "[]" })
      const reply = yield* simData(token, id)
      assert.strictEqual(reply.status, 200, reply.text)
      assert.deepStrictEqual(Object.keys(reply.json.files), ["chat_log.json"])
    }))

  it.effect("another user's job is 404 job-not-found even when its files exist, and no URL leaks", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { id } = yield* userWithJob
      yield* upload(id, { "posts.json": "[]" })
      const stranger = yield* service.tokenFor(unique("stranger"))
      const reply = yield* simData(stranger, id)
      assertProblem(reply, 404, "job-not-found")
      assert.notInclude(reply.text, "/storage/")
    }))
})
