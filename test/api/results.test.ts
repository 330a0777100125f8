import { assert, layer } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { ObjectStore } from "../../services/object-store.ts"
import { simDataKey } from "../../src/domain/artifacts.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { assertProblem, createJob, failsWith, jobEvents, newJob, newUser, setStatus } from "../support/api-fixtures.ts"
import { artifactBytes, sampleArtifacts } from "../support/sample-artifacts.ts"
import { type ApiClient, TestService, TestServiceLive } from "../support/service.ts"
import { LifecycleControl } from "../support/recording-lifecycle.ts"

const markets = [
  { id: "m1", question: "Will the council approve the tram line?", initial_price_yes: 0.5 },
  { id: "m2", question: "Will construction start this year?", initial_price_yes: 0.4 }
]
const artifacts = sampleArtifacts({ rounds: 6, agents: 5, markets })

/** Stores the sample simulation's ten files under the job's prefix, as its pod would. */
const uploadArtifacts = (id: number) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    for (const [file, bytes] of artifactBytes(artifacts)) yield* store.put(simDataKey(id as JobId, file), bytes, "application/json")
  })

const report = "## Executive Summary\n\nRiders carry the vote.\n\n## Key Findings\n\n### slot=momentum — Momentum builds\n\nPrices rise.\n\n## Verdict\n\nApproval is likely."

/** A COMPLETED job of a new user, with its report and artifacts. */
const completedJob = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const { api } = yield* newUser("results")
  const job = yield* createJob(api, newJob({ goal: "Will the council approve the tram line?" }))
  yield* sql`UPDATE simulation_jobs SET status = 'COMPLETED', completed_at = now(), result_report = ${report},
    key_insight = 'Approval is likely' WHERE id = ${job.id}`.pipe(Effect.orDie)
  yield* uploadArtifacts(job.id)
  return { api, id: job.id }
})

const share = (api: ApiClient, id: JobId) => api.results.share({ params: { id } })

layer(TestServiceLive(), { excludeTestServices: true })("a job's results", (it) => {
  it.effect("GET graph: every agent with its activity and stance, follows and replies folded with weights", () =>
    Effect.gen(function*() {
      const { api, id } = yield* completedJob
      const graph = yield* api.results.graph({ params: { id } })
      assert.deepStrictEqual(graph.nodes.map((node) => node.id).sort(), ["a0", "a1", "a2", "a3", "a4"])
      const ada = graph.nodes.find((node) => node.id === "a0")!
      assert.strictEqual(ada.name, "Ada")
      assert.strictEqual(ada.stance, "optimistic")
      // a0 acts every round (a post in round 1, a follow in round 2, ...), and trades in rounds 1 and 6.
      const a0Actions = artifacts["chat_log.json"].filter((entry) => entry.agent_id === "a0" && entry.action !== "idle").length
      assert.strictEqual(ada.actions, a0Actions)
      assert.isAbove(ada.posts, 0)
      // a0 and a1 follow each other.
      const follows = graph.edges.filter((edge) => edge.kind === "follow").map((edge) => `${edge.source}->${edge.target}`)
      assert.includeMembers(follows, ["a0->a1", "a1->a0"])
      assert.deepStrictEqual(graph.metadata, { nodes: 5, edges: graph.edges.length, rounds: 6 })
    }))

  it.effect("GET curves: one curve per market, round by round", () =>
    Effect.gen(function*() {
      const { api, id } = yield* completedJob
      const curves = yield* api.results.curves({ params: { id } })
      assert.deepStrictEqual(curves.map((curve) => curve.question), markets.map((market) => market.question))
      assert.deepStrictEqual(curves[0]!.points.map((point) => point.round), [0, 1, 2, 3, 4, 5, 6])
    }))

  it.effect("graph and curves are 404 not-available without artifacts, and 404 job-not-found for another user's job", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("results-empty")
      const job = yield* createJob(api)
      yield* failsWith(api.results.graph({ params: { id: job.id } }), "NotAvailable")
      yield* failsWith(api.results.curves({ params: { id: job.id } }), "NotAvailable")
      const other = yield* completedJob
      yield* failsWith(api.results.graph({ params: { id: other.id } }), "JobNotFound")
      yield* failsWith(api.results.curves({ params: { id: other.id } }), "JobNotFound")
    }))

  it.effect("an artifact that does not match its schema is not available, not a server error", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("results-bad")
      const job = yield* createJob(api)
      const store = yield* ObjectStore
      yield* store.put(simDataKey(job.id, "social_graph.json"), new TextEncoder().encode('{"nodes": "not a list"}'), "application/json")
      yield* failsWith(api.results.graph({ params: { id: job.id } }), "NotAvailable")
    }))

  it.effect("GET export/pdf: a PDF download of the report; 409 while there is none", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { id } = yield* completedJob
      const sql = yield* SqlClient.SqlClient
      const [owner] = yield* sql<{ name: string }>`SELECT u.name FROM users u JOIN simulation_jobs j ON j.user_id = u.id WHERE j.id = ${id}`.pipe(Effect.orDie)
      const token = yield* service.tokenFor(owner!.name)
      const reply = yield* Effect.promise(async () => {
        const response = await fetch(`${service.baseUrl}/api/jobs/${id}/export/pdf`, { headers: { authorization: `Bearer ${token}` } })
        return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) }
      })
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.headers.get("content-type"), "application/pdf")
      assert.strictEqual(reply.headers.get("content-disposition"), `attachment; filename=fishcloud-job-${id}.pdf`)
      assert.strictEqual(new TextDecoder().decode(reply.bytes.slice(0, 5)), "%PDF-")

      const { api } = yield* newUser("results-pdf")
      const pending = yield* createJob(api)
      yield* failsWith(api.results.exportPdf({ params: { id: pending.id } }), "StatusConflict")
    }))

  it.effect("share: only a completed job; sharing again gives the same link; the page shows results and nothing private", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { api, id } = yield* completedJob
      const link = yield* share(api, id)
      assert.match(link.token, /^[A-Za-z0-9_-]{43}$/)
      assert.strictEqual(link.url, `${service.baseUrl}/s/${link.token}`)
      assert.deepStrictEqual(yield* share(api, id), link)

      // Signed out: no bearer token.
      const page = yield* service.call("GET", `/api/share/${link.token}`)
      assert.strictEqual(page.status, 200)
      assert.strictEqual(page.json.job_id, id)
      assert.strictEqual(page.json.goal, "Will the council approve the tram line?")
      assert.strictEqual(page.json.key_insight, "Approval is likely")
      assert.include(page.json.report.report, "### Momentum builds")
      assert.notInclude(page.json.report.report, "slot=")
      assert.lengthOf(page.json.curves, 2)
      assert.lengthOf(page.json.graph.nodes, 5)
      for (const secret of ["seed_text", "user_id", "enriched_seed", "gpu_cost_usd", "pods"]) {
        assert.notInclude(page.text, `"${secret}"`)
      }

      const { api: otherApi } = yield* newUser("results-share")
      const live = yield* createJob(otherApi)
      const refused = yield* failsWith(share(otherApi, live.id), "StatusConflict")
      assert.include(refused.detail, "Only a completed job can be shared")
      // Someone else's job cannot be shared or unshared.
      yield* failsWith(share(otherApi, id), "JobNotFound")
      yield* failsWith(otherApi.results.unshare({ params: { id } }), "JobNotFound")
      assert.strictEqual((yield* service.call("GET", `/api/share/${link.token}`)).status, 200)
    }))

  it.effect("a revoked, unknown or malformed token, or one whose job was deleted, answers 404", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { api, id } = yield* completedJob
      const link = yield* share(api, id)
      yield* api.results.unshare({ params: { id } })
      assertProblem(yield* service.call("GET", `/api/share/${link.token}`), 404, "share-not-found")
      // Sharing after a revoke makes a new link.
      const again = yield* share(api, id)
      assert.notStrictEqual(again.token, link.token)
      assertProblem(yield* service.call("GET", `/api/share/${"x".repeat(43)}`), 404, "share-not-found")
      assertProblem(yield* service.call("GET", "/api/share/%27%20OR%201=1"), 404, "share-not-found")
      yield* api.jobs.delete({ params: { id } })
      assertProblem(yield* service.call("GET", `/api/share/${again.token}`), 404, "share-not-found")
    }))

  it.effect("enrich-retry: 202 on a finished job or a draft, with an `enrichment requested` event; 409 while live", () =>
    Effect.gen(function*() {
      const control = yield* LifecycleControl
      const { api, id } = yield* completedJob
      const job = yield* api.results.enrichRetry({ params: { id } })
      assert.strictEqual(job.id, id)
      assert.include(yield* Ref.get(control.enriched), id)
      const events = yield* jobEvents(id)
      assert.deepStrictEqual(events.at(-1)?.kind, "enrichment")
      assert.deepStrictEqual(events.at(-1)?.data, { event: "requested" })

      const draft = yield* api.drafts.create({ payload: { seed_text: "The tram line vote", goal: "Will it pass?", enrich_web: true } })
      yield* api.results.enrichRetry({ params: { id: draft.id } })
      const noGoal = yield* api.drafts.create({ payload: { seed_text: "A seed without a goal", enrich_web: true } })
      yield* failsWith(api.results.enrichRetry({ params: { id: noGoal.id } }), "StatusConflict")

      const running = yield* createJob(api)
      yield* setStatus(running.id, "RUNNING")
      const refused = yield* failsWith(api.results.enrichRetry({ params: { id: running.id } }), "StatusConflict")
      assert.include(refused.detail, "its seed is in use")
      assert.notInclude(yield* Ref.get(control.enriched), running.id)
    }))
})
