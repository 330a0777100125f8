import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Fiber, Layer } from "effect"
import { estimatedCostUsd } from "../../layers/llm/anthropic/anthropic-pricing.ts"
import { makeAnthropicReportWriter, maxTurns, type AnthropicReportWriterOptions } from "../../layers/llm/anthropic/anthropic-report-writer.ts"
import { type LlmUsage, LlmUsageRecorder } from "../../services/llm-usage-recorder.ts"
import { ReportWriter } from "../../services/report-writer.ts"
import { type SimDataFile, simDataKey } from "../../src/domain/artifacts.ts"
import { JobId } from "../../src/domain/ids.ts"
import { readReport } from "../../layers/llm/report/parse-report.ts"
import { loadReportArtifacts } from "../../layers/llm/report/report-artifacts.ts"
import { simulationParts } from "../../layers/llm/report/structured-result.ts"
import { configFromEnv } from "../support/config-env.ts"
import { eventually } from "../support/eventually.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"
import { type FakeAnthropic, fakeAnthropic, type FakeAnthropicReply, refusedUrl } from "../support/fake-anthropic.ts"
import { MemoryObjectStoreLive } from "../support/memory-object-store.ts"
import { artifactBytes, sampleArtifacts } from "../support/sample-artifacts.ts"

const apiKey = "sk-ant-test-SECRET-0123456789abcdef"
const model = "claude-opus-5"
const jobId = JobId.make(7)
const goal = "Will the ECB cut rates before July?"
const artifacts = sampleArtifacts({ rounds: 5, agents: 4, markets: [{ id: "m1", question: goal, initial_price_yes: 0.5 }] })

const storedFiles = (files: Partial<Record<SimDataFile, unknown>>) =>
  artifactBytes(files).map(([file, body]) => [simDataKey(jobId, file), { body, contentType: "application/json" }] as const)

const finalReport = [
  "# The ECB question",
  "",
  "## Executive Summary",
  "",
  "Optimists set the tone early and the market drifted towards YES.",
  "",
  "## Verdict",
  "",
  "The simulated crowd leans yes: a cut before July looks more likely than not.",
  "",
  "## Key Findings",
  "",
  "### slot=momentum — The price climbed",
  "The YES price rose in three of five rounds.",
  "_Citation: trade by Ada in round 1_",
  "",
  "### slot=voices — The loudest post",
  "Chen's post drew the most likes.",
  "_Citation: post p3 by Chen_",
  ""
].join("\n")

interface WriteOptions extends AnthropicReportWriterOptions {
  readonly baseUrl?: string
  /** ANTHROPIC_API_KEY; null leaves it unset. */
  readonly key?: string | null
  readonly files?: Partial<Record<SimDataFile, unknown>>
}

/** Writes job 7's report against the fake, recording usage rows; returns the exit and the rows. */
const write = (fake: Pick<FakeAnthropic, "url">, options: WriteOptions = {}) =>
  Effect.gen(function*() {
    const rows: Array<LlmUsage> = []
    const recorder = LlmUsageRecorder.of({ record: (usage) => Effect.sync(() => void rows.push(usage)) })
    const exit = yield* Effect.gen(function*() {
      const writer = yield* ReportWriter
      return yield* writer.write({ jobId, goal, forecastDays: 30 })
    }).pipe(
      Effect.provide(
        Layer.effect(ReportWriter, makeAnthropicReportWriter(options)).pipe(
          Layer.provide(Layer.mergeAll(
            Layer.succeed(LlmUsageRecorder, recorder),
            configFromEnv({
              ...(options.key === null ? {} : { ANTHROPIC_API_KEY: options.key ?? apiKey }),
              ANTHROPIC_BASE_URL: options.baseUrl ?? fake.url,
              ANTHROPIC_MODEL: model,
              ANTHROPIC_MAX_TOKENS: "4096"
            }),
            MemoryObjectStoreLive({ objects: storedFiles(options.files ?? artifacts) })
          )),
          Layer.orDie
        )
      ),
      Effect.exit
    )
    return { exit, rows }
  })

const failureOf = (fake: Pick<FakeAnthropic, "url">, options: WriteOptions = {}) =>
  write(fake, options).pipe(
    Effect.flatMap(({ exit, rows }) =>
      exit._tag === "Failure"
        ? Effect.flip(Effect.suspend(() => exit)).pipe(Effect.map((error) => ({ error, rows })))
        : Effect.die(new Error("expected the report to fail"))
    )
  )

interface SentMessage {
  readonly role: string
  readonly content: string | ReadonlyArray<Record<string, unknown>>
}
interface SentBody {
  readonly model: string
  readonly max_tokens: number
  readonly system: string
  readonly messages: ReadonlyArray<SentMessage>
  readonly tools?: ReadonlyArray<{ readonly name: string }>
}
const sent = (body: unknown) => body as SentBody

/** The tool_result blocks of the last user message of a request. */
const toolResults = (body: unknown) => {
  const last = sent(body).messages.at(-1)!
  return typeof last.content === "string" ? [] : last.content.filter((block) => block.type === "tool_result")
}

describe("Anthropic report writer", () => {
  it.effect("runs the tool loop over the artifacts, then parses the final report with usage summed and recorded", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey })
      fake.enqueue(
        {
          kind: "tool_use",
          calls: [{ name: "get_top_posts", input: { limit: 3 }, id: "t1" }, { name: "get_coalitions", input: {}, id: "t2" }],
          usage: { input_tokens: 1000, output_tokens: 100 }
        },
        {
          kind: "tool_use",
          calls: [{ name: "get_market_gossip", input: {}, id: "t3" }, { name: "get_agent_summary", input: { agent_id: "a1" }, id: "t4" }],
          usage: { input_tokens: 2000, output_tokens: 150 }
        },
        { kind: "text", text: finalReport, usage: { input_tokens: 3000, output_tokens: 900 } }
      )
      const telemetry = telemetryRecorder()
      const { exit, rows } = yield* telemetry.record(write(fake))
      assert.strictEqual(exit._tag, "Success")
      const report = exit._tag === "Success" ? exit.value : undefined

      // The structured result comes from the shared parser, joined with the parts built from the artifacts.
      const costUsd = estimatedCostUsd(model, 6000, 1150)
      assert.isAbove(costUsd, 0)
      const loaded = yield* loadReportArtifacts(jobId).pipe(Effect.provide(MemoryObjectStoreLive({ objects: storedFiles(artifacts) })))
      const parts = simulationParts({ artifacts: loaded, forecastDays: 30 })
      assert.deepStrictEqual(report, { ...readReport(finalReport.trim(), parts), usage: { inputTokens: 6000, outputTokens: 1150, costUsd } })
      // The model's prose does not decide the numbers: the scale and the quoted posts are the artifacts' own.
      assert.strictEqual(report!.structured.sim_scale.posts, artifacts["posts.json"].length)
      assert.strictEqual(report!.structured.quotable_posts.length, 5)
      assert.strictEqual(report!.structured.disagreement_axis?.market_id, "m1")
      assert.strictEqual(report!.structured.verdict, "The simulated crowd leans yes: a cut before July looks more likely than not.")
      assert.strictEqual(report!.keyInsight, report!.structured.verdict)
      assert.strictEqual(report!.structured.brief, "Optimists set the tone early and the market drifted towards YES.")
      assert.deepStrictEqual(report!.structured.findings.map((f) => [f.slot, f.title, f.citation]), [
        ["momentum", "The price climbed", "trade by Ada in round 1"],
        ["voices", "The loudest post", "post p3 by Chen"]
      ])
      assert.deepStrictEqual(rows, [{ step: "report", provider: "anthropic", model, inputTokens: 6000, outputTokens: 1150, costUsd }])

      // One HTTP request per turn, authenticated the SDK's way, with the tools on every turn but the last.
      const requests = fake.requests()
      assert.strictEqual(requests.length, 3)
      for (const request of requests) {
        assert.strictEqual(request.path, "/v1/messages")
        assert.strictEqual(request.authorization, `Bearer ${apiKey}`)
        assert.isString(request.anthropicVersion)
        assert.strictEqual(sent(request.body).model, model)
        assert.strictEqual(sent(request.body).max_tokens, 4096)
        assert.deepStrictEqual(sent(request.body).tools?.map((t) => t.name), ["get_top_posts", "get_coalitions", "get_agent_summary", "get_trajectory"])
      }
      const system = sent(requests[0]!.body).system
      assert.include(system, `Goal: ${goal}`)
      assert.include(system, "Forecast window: 30 days.")
      assert.include(system, "Rounds played: 5; agents: 4")
      assert.include(system, "## Key Findings")

      // The tools answer from the artifacts.
      const [topPosts, coalitions] = toolResults(requests[1]!.body)
      assert.strictEqual(topPosts!.tool_use_id, "t1")
      assert.notStrictEqual(topPosts!.is_error, true)
      const posted = JSON.parse(String(topPosts!.content)) as ReadonlyArray<{ id: string; likes: number }>
      const expected = [...artifacts["posts.json"]].sort((a, b) =>
        b.likes - a.likes || b.replies - a.replies || a.round - b.round || (a.id < b.id ? -1 : 1)
      ).slice(0, 3)
      assert.deepStrictEqual(posted.map((p) => p.id), expected.map((p) => p.id))
      assert.strictEqual(posted[0]!.likes, Math.max(...artifacts["posts.json"].map((p) => p.likes)))
      assert.deepStrictEqual(JSON.parse(String(coalitions!.content)), [
        { a: { agent_id: "a0", name: "Ada" }, b: { agent_id: "a1", name: "Bashir" } },
        { a: { agent_id: "a2", name: "Chen" }, b: { agent_id: "a3", name: "Dara" } }
      ])
      // The assistant's tool calls are sent back before their results.
      const echoed = sent(requests[1]!.body).messages.at(-2)!
      assert.strictEqual(echoed.role, "assistant")
      assert.deepStrictEqual((echoed.content as ReadonlyArray<Record<string, unknown>>).map((b) => b.id), ["t1", "t2"])

      // An unknown tool answers an error result; the loop goes on.
      const [unknown, summary] = toolResults(requests[2]!.body)
      assert.strictEqual(unknown!.tool_use_id, "t3")
      assert.strictEqual(unknown!.is_error, true)
      assert.include(String(unknown!.content), "unknown tool \\\"get_market_gossip\\\"")
      assert.notStrictEqual(summary!.is_error, true)
      const agent = JSON.parse(String(summary!.content)) as { name: string; total_posts: number; sample_posts: ReadonlyArray<unknown> }
      assert.strictEqual(agent.name, "Bashir")
      assert.strictEqual(agent.total_posts, artifacts["posts.json"].filter((p) => p.agent_id === "a1").length)
      assert.isAtMost(agent.sample_posts.length, 3)

      // One GenAI span per call; the key is nowhere in logs or spans.
      const chats = telemetry.spanText().map((text) => JSON.parse(text) as { name: string; attributes: ReadonlyArray<[string, string]> })
        .filter((span) => span.name === `chat ${model}`)
      assert.strictEqual(chats.length, 3)
      const attributes = new Map(chats[2]!.attributes)
      assert.strictEqual(attributes.get("gen_ai.provider.name"), "anthropic")
      assert.strictEqual(attributes.get("gen_ai.operation.name"), "chat")
      assert.strictEqual(attributes.get("gen_ai.request.model"), model)
      assert.strictEqual(attributes.get("gen_ai.response.model"), model)
      assert.strictEqual(attributes.get("gen_ai.request.max_tokens"), "4096")
      assert.strictEqual(attributes.get("gen_ai.usage.input_tokens"), "3000")
      assert.strictEqual(attributes.get("gen_ai.usage.output_tokens"), "900")
      assert.isAbove(telemetry.lines.length, 0)
      for (const text of [...telemetry.lines, ...telemetry.spanText()]) assert.notInclude(text, apiKey)
    }))

  it.effect("sends the last allowed turn without tools, asking for the final report", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey })
      const toolTurn: FakeAnthropicReply = { kind: "tool_use", calls: [{ name: "get_trajectory", input: { agent_id: "a2" } }] }
      fake.enqueue(...Array.from({ length: maxTurns - 1 }, () => toolTurn), { kind: "text", text: finalReport })
      const { exit } = yield* write(fake)
      assert.strictEqual(exit._tag, "Success")
      const requests = fake.requests()
      assert.strictEqual(requests.length, maxTurns)
      for (const request of requests.slice(0, -1)) assert.strictEqual(sent(request.body).tools?.length, 4)
      const last = sent(requests.at(-1)!.body)
      assert.isFalse("tools" in last)
      const lastUser = last.messages.at(-1)!
      assert.strictEqual(lastUser.role, "user")
      const blocks = lastUser.content as ReadonlyArray<Record<string, unknown>>
      assert.strictEqual(blocks.filter((b) => b.type === "tool_result").length, 1)
      assert.include(String(blocks.at(-1)!.text), "last turn")
      // get_trajectory answered from the trajectories.
      const trajectory = JSON.parse(String(toolResults(requests[1]!.body)[0]!.content)) as { name: string; points: ReadonlyArray<unknown> }
      assert.strictEqual(trajectory.name, "Chen")
      assert.strictEqual(trajectory.points.length, 5)
      assert.strictEqual(exit._tag === "Success" ? exit.value.usage?.inputTokens : undefined, maxTurns * 1000)
    }))

  const transient: ReadonlyArray<readonly [string, FakeAnthropicReply]> = [
    ["429 with Retry-After", { kind: "error", status: 429, headers: { "retry-after": "30" } }],
    ["529 overloaded", { kind: "error", status: 529 }],
    ["500", { kind: "error", status: 500 }],
    ["503", { kind: "error", status: 503 }]
  ]
  for (const [name, reply] of transient) {
    it.effect(`${name} is transient, after exactly one request`, () =>
      Effect.gen(function*() {
        const fake = yield* fakeAnthropic({ apiKey })
        fake.enqueue(reply, { kind: "text", text: finalReport })
        const { error } = yield* failureOf(fake)
        assert.strictEqual(error.kind, "transient")
        assert.strictEqual(fake.requests().length, 1)
        assert.notInclude(JSON.stringify(error), apiKey)
        if (name.startsWith("429")) assert.include(error.message, "retry after 30")
      }))
  }

  const permanent: ReadonlyArray<readonly [string, FakeAnthropicReply]> = [
    ["400", { kind: "error", status: 400, message: "max_tokens: too large" }],
    ["404", { kind: "error", status: 404, errorType: "not_found_error", message: "model: claude-nope" }],
    ["a 200 with a malformed body", { kind: "malformed" }]
  ]
  for (const [name, reply] of permanent) {
    it.effect(`${name} is permanent, after exactly one request`, () =>
      Effect.gen(function*() {
        const fake = yield* fakeAnthropic({ apiKey })
        fake.enqueue(reply, { kind: "text", text: finalReport })
        const { error } = yield* failureOf(fake)
        assert.strictEqual(error.kind, "permanent")
        assert.strictEqual(fake.requests().length, 1)
      }))
  }

  it.effect("connection refused and timeouts are transient", () =>
    Effect.gen(function*() {
      const refused = yield* failureOf({ url: yield* refusedUrl })
      assert.strictEqual(refused.error.kind, "transient")
      assert.include(refused.error.message, "connection")

      const fake = yield* fakeAnthropic({ apiKey })
      fake.enqueue({ kind: "delay", ms: 3000, then: { kind: "text", text: finalReport } })
      const slow = yield* failureOf(fake, { requestTimeoutMs: 200 })
      assert.strictEqual(slow.error.kind, "transient")
      assert.include(slow.error.message, "timed out")
      assert.strictEqual(fake.requests().length, 1)
    }))

  it.effect("interrupting the report aborts the HTTP request in flight", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey })
      fake.enqueue({ kind: "delay", ms: 10_000, then: { kind: "text", text: finalReport } })
      const fiber = yield* Effect.forkChild(write(fake))
      yield* eventually("the fake received the request", () => fake.requests().length === 1)
      yield* Fiber.interrupt(fiber)
      yield* eventually("the fake saw the request abandoned", () => fake.abandoned() === 1)
    }))

  it.effect("a failure after some turns still records the tokens spent", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey })
      fake.enqueue({ kind: "tool_use", calls: [{ name: "get_coalitions", input: {} }], usage: { input_tokens: 500, output_tokens: 50 } }, {
        kind: "error",
        status: 529
      })
      const { error, rows } = yield* failureOf(fake)
      assert.strictEqual(error.kind, "transient")
      assert.deepStrictEqual(rows.map((r) => [r.inputTokens, r.outputTokens]), [[500, 50]])
    }))

  it.effect("an empty final answer is a permanent error", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey })
      fake.enqueue({ kind: "text", text: "" })
      const { error } = yield* failureOf(fake)
      assert.strictEqual(error.kind, "permanent")
      assert.include(error.message, "the model wrote no report")
    }))

  it.effect("missing artifacts fail permanently and no key stops the writer from starting, without calling the API", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey })
      const files = Object.fromEntries(Object.entries(artifacts).filter(([file]) => file !== "posts.json"))
      const missing = yield* failureOf(fake, { files })
      assert.strictEqual(missing.error.kind, "permanent")
      assert.include(missing.error.message, "posts.json")
      for (const key of [null, "", "   "]) {
        const { exit } = yield* write(fake, { key })
        assert.isTrue(exit._tag === "Failure" && Cause.hasDies(exit.cause), `the writer started without a key (${key})`)
        assert.include(exit._tag === "Failure" ? Cause.pretty(exit.cause) : "", "ANTHROPIC_API_KEY")
      }
      assert.strictEqual(fake.requests().length, 0)
    }))

  it.effect("the key never appears in errors, logs or spans, even when the API echoes it", () =>
    Effect.gen(function*() {
      const fake = yield* fakeAnthropic({ apiKey: "a-different-key" })
      const telemetry = telemetryRecorder()
      const unauthorized = yield* telemetry.record(failureOf(fake))
      assert.strictEqual(unauthorized.error.kind, "permanent")
      assert.include(unauthorized.error.message, "401")

      const echoing = yield* fakeAnthropic({ apiKey })
      echoing.enqueue({ kind: "error", status: 400, message: `invalid request for key ${apiKey}` })
      const echoed = yield* telemetry.record(failureOf(echoing))
      assert.include(echoed.error.message, "<redacted>")
      for (const error of [unauthorized.error, echoed.error]) {
        assert.notInclude(JSON.stringify(error), apiKey)
        assert.notInclude(String(error), apiKey)
      }
      for (const text of [...telemetry.lines, ...telemetry.spanText()]) assert.notInclude(text, apiKey)
    }))
})
