import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { ModelRouting } from "../../src/domain/job.ts"
import type { Tier } from "../../src/domain/tier.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { assertBadRequest, assertProblem, createJob, failsWith, newJob, newUser, unique } from "../support/api-fixtures.ts"

const vllmArgs = "--max-model-len 16384 --enable-auto-tool-choice --tool-call-parser hermes"

const seeded: ReadonlyArray<ModelRouting> = [
  { sim_tier: "small", model_id: "Qwen/Qwen3-14B", gpu_type: "NVIDIA L40S", max_rounds: 15, target_agents: 10, vllm_args: vllmArgs },
  { sim_tier: "medium", model_id: "Qwen/Qwen3-14B", gpu_type: "NVIDIA L40S", max_rounds: 100, target_agents: 20, vllm_args: vllmArgs },
  { sim_tier: "large", model_id: "Qwen/Qwen3-14B", gpu_type: "NVIDIA L40S", max_rounds: 200, target_agents: 35, vllm_args: vllmArgs }
]

/** A valid `PUT /api/routing/:tier` payload. */
const routingBody = (): Omit<ModelRouting, "sim_tier"> => ({
  model_id: "Qwen/Qwen3-32B",
  gpu_type: "NVIDIA H100",
  max_rounds: 30,
  target_agents: 12,
  vllm_args: null
})

/** Puts the seeded row of `tier` back, whatever a test did to it. */
const restoreRouting = (tier: Tier) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const row = seeded.find((r) => r.sim_tier === tier)!
    yield* sql`UPDATE model_routing SET model_id = ${row.model_id}, gpu_type = ${row.gpu_type}, max_rounds = ${row.max_rounds},
      target_agents = ${row.target_agents}, vllm_args = ${row.vllm_args} WHERE sim_tier = ${tier}`
  }).pipe(Effect.orDie)

layer(TestServiceLive(), { excludeTestServices: true })("routing and system endpoints", (it) => {
  it.effect("GET /api/routing lists the three seeded tiers", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("reader")
      assert.deepStrictEqual(yield* api.routing.list(), seeded)
    }))

  it.effect("PUT /api/routing/:tier by a non-administrator is a 403 and changes nothing", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("not-admin")
      yield* failsWith(api.routing.set({ params: { tier: "small" }, payload: routingBody() }), "AdminOnly")
      assert.deepStrictEqual(yield* api.routing.list(), seeded)
    }))

  it.effect("PUT /api/routing/:tier by an administrator changes what the tier, and new jobs, run on", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { api } = yield* newUser("admin", { admin: true })
      yield* Effect.gen(function*() {
        const set = yield* api.routing.set({ params: { tier: "medium" }, payload: routingBody() })
        assert.deepStrictEqual(set, { sim_tier: "medium", ...routingBody() })
        const listed = yield* api.routing.list()
        assert.deepStrictEqual(listed.find((row) => row.sim_tier === "medium"), { sim_tier: "medium", ...routingBody() })
        assert.deepStrictEqual(
          listed.filter((row) => row.sim_tier !== "medium"),
          seeded.filter((row) => row.sim_tier !== "medium")
        )
        const job = yield* createJob(api, newJob({ tier: "medium" }))
        const rows = yield* sql<{ model_id: string; gpu_type: string }>`
          SELECT routing->>'model_id' AS model_id, routing->>'gpu_type' AS gpu_type FROM simulation_jobs WHERE id = ${job.id}`
          .pipe(Effect.orDie)
        assert.deepStrictEqual(rows[0], { model_id: "Qwen/Qwen3-32B", gpu_type: "NVIDIA H100" })
      }).pipe(Effect.ensuring(restoreRouting("medium")))
    }))

  // Raw HTTP: the client checks the tier and the payload against the same schemas and would not send these.
  it.effect("PUT /api/routing/:tier validates the tier and the body, naming the field", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const admin = yield* service.tokenFor(unique("admin"), { admin: true })
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ max_rounds: 0 }, "max_rounds"],
        [{ max_rounds: 10_001 }, "max_rounds"],
        [{ max_rounds: 1.5 }, "max_rounds"],
        [{ target_agents: 0 }, "target_agents"],
        [{ target_agents: 1_001 }, "target_agents"],
        [{ model_id: "" }, "model_id"],
        [{ model_id: "   " }, "model_id"],
        [{ gpu_type: undefined }, "gpu_type"],
        [{ vllm_args: 5 }, "vllm_args"]
      ]
      for (const [overrides, field] of cases) {
        const reply = yield* service.call("PUT", "/api/routing/small", { token: admin, json: { ...routingBody(), ...overrides } })
        assert.strictEqual(reply.status, 400, `${JSON.stringify(overrides)}: ${reply.text}`)
        assertBadRequest(reply, ["payload", field])
      }
      assertBadRequest(
        yield* service.call("PUT", "/api/routing/huge", { token: admin, json: routingBody() }),
        ["params", "tier"]
      )
      assert.deepStrictEqual(yield* (yield* service.client(admin)).routing.list(), seeded)
    }))

  it.effect("GET /api/health reports ok with the database connected", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const health = yield* (yield* service.client()).system.health()
      assert.strictEqual(health.status, "ok")
      assert.strictEqual(health.database, "connected")
      assert.isString(health.version)
    }))

  it.effect("GET /api/config reports demo_mode false and the seed limit by default", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const config = yield* (yield* service.client()).system.config()
      assert.strictEqual(config.demo_mode, false)
      assert.strictEqual(config.max_seed_chars, 50_000)
    }))

  // Raw HTTP from here on: the OpenAPI document, the docs page and unknown routes are not part of the definition.
  it.effect("/openapi.json is an OpenAPI 3.1 document listing the job routes", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", "/openapi.json")
      assert.strictEqual(reply.status, 200)
      assert.match(reply.json.openapi, /^3\.1\./)
      assert.strictEqual(reply.json.info.title, "fishcloud")
      const paths = Object.keys(reply.json.paths)
      for (const path of ["/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/retry", "/api/jobs/draft", "/api/routing"]) {
        assert.include(paths, path)
      }
      assert.isDefined(reply.json.paths["/api/jobs"].post)
      assert.isDefined(reply.json.paths["/api/jobs"].get)
    }))

  it.effect("/docs is an HTML page", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", "/docs")
      assert.strictEqual(reply.status, 200)
      assert.match(reply.headers.get("content-type") ?? "", /^text\/html/)
      assert.include(reply.text.toLowerCase(), "<html")
    }))

  it.effect("an unknown route is a 404 problem", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("reader"))
      assertProblem(yield* service.call("GET", "/api/nothing-here", { token }), 404)
      assertProblem(yield* service.call("GET", "/api/jobs/1/nothing-here", { token }), 404)
    }))
})
