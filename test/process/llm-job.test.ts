/**
 * A whole job with the LLM steps on: the service as a process with XAI_* and ANTHROPIC_* pointing at local fake
 * servers. The enrichment reaches the job (and the seed the pod simulates), the markets come from the model, the
 * report from Claude's tool-use loop, and the job records its tokens and cost.
 */
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"
import { fakeAnthropic } from "../support/fake-anthropic.ts"
import { startFakeXai } from "../support/fake-xai.ts"

const report = [
  "# Tram line",
  "",
  "## Executive Summary",
  "",
  "The simulated council leaned towards approval after the riders' campaign.",
  "",
  "## Verdict",
  "",
  "The tram line is likely to be approved within the forecast window.",
  "",
  "## Key Findings",
  "",
  "### slot=momentum — Support grew",
  "",
  "The YES price rose steadily.",
  "",
  "_Citation: post p3 by Ada_"
].join("\n")

layer(Layer.empty, { excludeTestServices: true })("a job with the LLM steps", (it) => {
  it.effect("enrichment, markets and the report come from the LLM providers, and the job records their usage", () =>
    Effect.gen(function*() {
      const xai = yield* startFakeXai("xai-test-key-0123456789")
      xai.script(
        { kind: "answer", text: "Background: the council has approved two similar lines since 2020.", annotations: [{ url: "https://news.example/tram", title: "Tram vote" }] },
        { kind: "answer", text: JSON.stringify({ markets: [{ question: "Will the council approve the tram line by March?", initial_price_yes: 0.6, rationale: "history" }] }) }
      )
      const anthropic = yield* fakeAnthropic({ apiKey: "sk-ant-test-0123456789abcdef" })
      anthropic.enqueue(
        { kind: "tool_use", calls: [{ name: "get_top_posts", input: { limit: 3 } }] },
        { kind: "text", text: report }
      )
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const service = yield* startCli(["serve"], {
        DATABASE_URL: database.url,
        FISHCLOUD_HOME: home,
        PORT: port,
        POD_PROVIDER: "fake",
        FISHCLOUD_TIME_SCALE: "0.02",
        XAI_API_KEY: "xai-test-key-0123456789",
        XAI_BASE_URL: xai.url,
        ANTHROPIC_API_KEY: "sk-ant-test-0123456789abcdef",
        ANTHROPIC_BASE_URL: anthropic.url
      })
      yield* service.waitForStdout(/Listening on http/)
      const token = yield* firstStartToken(home)
      const reply = yield* apiCaller(port, token)("POST", "/api/jobs", {
        seed_text: "The council votes on the tram line on Tuesday.",
        goal: "Will the tram line be approved?",
        tier: "small",
        forecast_days: 30
      })
      assert.strictEqual(reply.status, 201)
      const created = { id: reply.json["id"] as number }

      const job = yield* Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        const rows = yield* sql<{
          status: string
          error_message: string | null
          enriched_seed: string | null
          enrichment_citations: unknown
          markets_config: unknown
          key_insight: string | null
          llm_input_tokens: number
          llm_cost_usd: number
        }>`SELECT status, error_message, enriched_seed, enrichment_citations, markets_config, key_insight, llm_input_tokens, llm_cost_usd
          FROM simulation_jobs WHERE id = ${created.id}`
        return rows[0]!
      }).pipe(
        Effect.provide(PgClientLive(Redacted.make(database.url))),
        Effect.scoped,
        Effect.orDie,
        Effect.repeat({ schedule: Schedule.spaced("300 millis"), until: (row) => ["COMPLETED", "FAILED", "CANCELLED"].includes(row.status) }),
        Effect.timeout(Duration.seconds(90)),
        Effect.orDie
      )
      assert.strictEqual(job.status, "COMPLETED", job.error_message ?? "")
      assert.include(job.enriched_seed ?? "", "approved two similar lines")
      assert.deepStrictEqual(job.enrichment_citations, [{ url: "https://news.example/tram", title: "Tram vote" }])
      assert.deepStrictEqual((job.markets_config as ReadonlyArray<{ question: string }>).map((m) => m.question), ["Will the council approve the tram line by March?"])
      assert.strictEqual(job.key_insight, "The tram line is likely to be approved within the forecast window.")
      assert.isAbove(job.llm_input_tokens, 0)
      assert.isAbove(job.llm_cost_usd, 0)
      const toolTurn = anthropic.requests().at(-1)!.body as { messages: ReadonlyArray<{ role: string; content: unknown }> }
      assert.isTrue(JSON.stringify(toolTurn.messages).includes("tool_result"), "the tool's answer went back to the model")
      const stdout = yield* service.stdout
      assert.notInclude(stdout, "xai-test-key-0123456789")
      assert.notInclude(stdout, "sk-ant-test-0123456789abcdef")
      yield* service.kill("SIGTERM")
      yield* service.result
    }), 150_000)
})
