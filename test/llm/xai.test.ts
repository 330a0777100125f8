/**
 * The xAI enricher and market deriver against a local fake of the Responses API (test/support/fake-xai.ts):
 * what they send, what they make of each answer, fail-soft on every error, usage records, and that the API key
 * never shows in errors, log lines or spans. No test reaches the network.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Fiber, Layer, Option, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { XaiLive } from "../../layers/llm/xai/xai-live.ts"
import { makeXaiClient } from "../../layers/llm/xai/xai-client.ts"
import { XaiConfig, xaiApiKey } from "../../layers/llm/xai/xai-config.ts"
import type { JobId } from "../../src/domain/ids.ts"
import type { Tier } from "../../src/domain/tier.ts"
import { Enricher } from "../../services/enricher.ts"
import { CurrentJob, type LlmUsage, LlmUsageRecorder } from "../../services/llm-usage-recorder.ts"
import { MarketDeriver } from "../../services/market-deriver.ts"
import { configFromEnv } from "../support/config-env.ts"
import { type FakeXai, type FakeXaiReply, startFakeXai } from "../support/fake-xai.ts"
import { eventually } from "../support/eventually.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"

const KEY = "xai-TESTKEY-5f1c9e0d2b7a4c63"
const MODEL = "grok-4-fast-non-reasoning"
const Duration30 = Duration.seconds(30)

/** The XAI_* environment of the layer under test; `key` null leaves XAI_API_KEY unset. */
const settingsFor = (baseUrl: string, key: string | null = KEY) =>
  configFromEnv({ ...(key === null ? {} : { XAI_API_KEY: key }), XAI_BASE_URL: baseUrl, XAI_MODEL: MODEL })

/** Log lines and spans of the effects passed to `run`, and the usage its `recorder` got (give it to the layers). */
const harness = () => {
  const telemetry = telemetryRecorder()
  const usage: Array<LlmUsage & { readonly job: number | undefined }> = []
  const recorder = LlmUsageRecorder.of({
    record: (entry) =>
      Effect.gen(function*() {
        usage.push({ ...entry, job: yield* CurrentJob })
      })
  })
  return {
    lines: telemetry.lines,
    spans: telemetry.spans,
    usage,
    recorder: Layer.succeed(LlmUsageRecorder, recorder),
    spanText: () => telemetry.spanText().join("\n"),
    run: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      telemetry.record(effect.pipe(Effect.provideService(CurrentJob, 42 as JobId)))
  }
}

/** The fake, both services wired to it (one `XaiLive`, one client), and a harness. */
const setup = (...replies: ReadonlyArray<FakeXaiReply>) =>
  Effect.gen(function*() {
    const fake = yield* startFakeXai(KEY)
    fake.script(...replies)
    const telemetry = harness()
    const services = yield* Effect.gen(function*() {
      return { enricher: yield* Enricher, deriver: yield* MarketDeriver }
    }).pipe(Effect.provide(XaiLive.pipe(Layer.provide(Layer.merge(settingsFor(fake.url), telemetry.recorder)))))
    return { fake, ...services, telemetry }
  })

const bodyOf = (fake: FakeXai, index: number) => {
  const request = fake.requests[index]
  assert.isDefined(request)
  return request.body as {
    model: string
    input: Array<{ role: string; content: string }>
    tools?: Array<{ type: string }>
    text?: { format: { type: string } }
  }
}

const assertNoKey = (telemetry: ReturnType<typeof harness>, extra: ReadonlyArray<string> = []) => {
  for (const text of [...telemetry.lines, telemetry.spanText(), ...extra]) {
    assert.notInclude(text, KEY)
    assert.notInclude(text, "TESTKEY")
  }
}

describe("XaiEnricher", () => {
  it.effect("returns the summary and citations deduplicated by URL; the request has both tools and a 5000-char seed", () =>
    Effect.gen(function*() {
      const { fake, enricher, telemetry } = yield* setup({
        kind: "answer",
        text: "  Background: the city council votes on the transit levy in March.  ",
        annotations: [
          { url: "https://news.example/levy", title: "Levy vote set" },
          { url: "https://news.example/levy", title: "Levy vote set (again)" },
          { url: "https://x.com/i/status/1", title: "Council post" }
        ],
        citations: ["https://news.example/levy", "https://x.com/i/status/1", "https://stats.example/ridership"],
        usage: { input: 2000, output: 600 }
      })
      const seedText = "A".repeat(4990) + "B".repeat(100)
      const enrichment = yield* telemetry.run(enricher.enrich({ seedText, goal: "Will the levy pass?" }))

      assert.deepStrictEqual(enrichment, {
        summary: "Background: the city council votes on the transit levy in March.",
        citations: [
          { url: "https://news.example/levy", title: "Levy vote set" },
          { url: "https://x.com/i/status/1", title: "Council post" },
          { url: "https://stats.example/ridership", title: "https://stats.example/ridership" }
        ]
      })
      assert.strictEqual(fake.requests.length, 1)
      assert.strictEqual(fake.requests[0]?.path, "/v1/responses")
      assert.strictEqual(fake.requests[0]?.authorization, `Bearer ${KEY}`)
      const body = bodyOf(fake, 0)
      assert.strictEqual(body.model, MODEL)
      assert.deepStrictEqual(body.tools, [{ type: "web_search" }, { type: "x_search" }])
      const user = body.input.find((message) => message.role === "user")?.content ?? ""
      assert.include(user, "A".repeat(4990) + "B".repeat(10))
      assert.notInclude(user, "B".repeat(11))
      assert.include(user, "Will the levy pass?")
      assert.match(body.input.find((message) => message.role === "system")?.content ?? "", /300-500 word/)

      // usage recorded for the current job, with the response's tokens and a cost
      assert.strictEqual(telemetry.usage.length, 1)
      const usage = telemetry.usage[0]
      assert.isDefined(usage)
      assert.strictEqual(usage.step, "enrichment")
      assert.strictEqual(usage.provider, "xai")
      assert.strictEqual(usage.model, MODEL)
      assert.strictEqual(usage.inputTokens, 2000)
      assert.strictEqual(usage.outputTokens, 600)
      assert.strictEqual(usage.job, 42)
      assert.isAbove(usage.costUsd, 0)
      assert.closeTo(usage.costUsd, (2000 * 0.2 + 600 * 0.5) / 1_000_000, 1e-12)

      // the GenAI span
      const span = telemetry.spans.find((candidate) => candidate.name === `chat ${MODEL}`)
      assert.isDefined(span)
      assert.strictEqual(span.kind, "client")
      assert.strictEqual(span.attributes.get("gen_ai.provider.name"), "xai")
      assert.strictEqual(span.attributes.get("gen_ai.operation.name"), "chat")
      assert.strictEqual(span.attributes.get("gen_ai.request.model"), MODEL)
      assert.strictEqual(span.attributes.get("gen_ai.response.model"), MODEL)
      assert.strictEqual(span.attributes.get("gen_ai.usage.input_tokens"), 2000)
      assert.strictEqual(span.attributes.get("gen_ai.usage.output_tokens"), 600)
      assertNoKey(telemetry)
    }))

  it.effect("an empty answer is no enrichment (a warning), with usage still recorded", () =>
    Effect.gen(function*() {
      const { enricher, telemetry } = yield* setup({ kind: "answer", text: "   \n " })
      const enrichment = yield* telemetry.run(enricher.enrich({ seedText: "seed", goal: "goal" }))
      assert.isUndefined(enrichment)
      assert.isTrue(telemetry.lines.some((line) => line.includes("level=WARN") && line.includes("empty answer")))
      assert.strictEqual(telemetry.usage.length, 1)
    }))

  const failures: ReadonlyArray<readonly [string, FakeXaiReply, RegExp]> = [
    ["429 with Retry-After", { kind: "status", status: 429, retryAfter: "7" }, /\(transient\).*429.*Retry-After: 7/],
    ["500", { kind: "status", status: 500 }, /\(transient\).*500/],
    ["400", { kind: "status", status: 400 }, /\(permanent\).*400/],
    ["a body that is not JSON", { kind: "raw", body: "{\"output\": [" }, /\(permanent\).*not JSON/],
    ["a JSON body of the wrong shape", { kind: "raw", body: "{\"output\": \"nope\"}" }, /\(permanent\).*unexpected response/]
  ]
  for (const [label, reply, warning] of failures) {
    it.effect(`fail-soft on ${label}: no enrichment, a warning, no usage`, () =>
      Effect.gen(function*() {
        const { fake, enricher, telemetry } = yield* setup(reply)
        const enrichment = yield* telemetry.run(enricher.enrich({ seedText: "seed", goal: "goal" }))
        assert.isUndefined(enrichment)
        assert.strictEqual(fake.requests.length, 1, "no retries of its own")
        const warn = telemetry.lines.find((line) => line.includes("level=WARN"))
        assert.isDefined(warn)
        assert.match(warn, warning)
        assert.strictEqual(telemetry.usage.length, 0)
        assertNoKey(telemetry)
      }))
  }

  it.effect("a request that gets no answer within 30 s is no enrichment", () =>
    Effect.gen(function*() {
      const { fake, enricher, telemetry } = yield* setup({ kind: "hang" })
      const fiber = yield* telemetry.run(enricher.enrich({ seedText: "seed", goal: "goal" })).pipe(Effect.forkChild)
      // The request is in flight (its 30 s timer started before it was sent) and will never be answered.
      yield* eventually("the fake received the request", () => fake.requests.length === 1)
      yield* TestClock.adjust("29 seconds")
      assert.isUndefined(fiber.pollUnsafe(), "still waiting before 30 s")
      yield* TestClock.adjust("1 second")
      const enrichment = yield* Fiber.join(fiber)
      assert.isUndefined(enrichment)
      assert.isTrue(telemetry.lines.some((line) => line.includes("(transient)") && line.includes("no answer within 30s")))
    }))

  it.effect("no key: the layer does not start (it names XAI_API_KEY), and no request is sent", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeXai(KEY)
      for (const key of [null, "   "]) {
        const error = yield* Effect.flip(
          Enricher.pipe(Effect.provide(XaiLive.pipe(Layer.provide(Layer.merge(settingsFor(fake.url, key), harness().recorder)))))
        )
        assert.include(String(error), "XAI_API_KEY")
      }
      assert.strictEqual(fake.requests.length, 0)
    }))
})

const marketsReply = (markets: unknown, fenced = false): FakeXaiReply => {
  const json = JSON.stringify({ markets })
  return { kind: "answer", text: fenced ? "Here you go:\n```json\n" + json + "\n```" : json, usage: { input: 800, output: 200 } }
}

const proposed = [
  { question: "Will the levy pass by June?", initial_price_yes: 1.5, rationale: "Strong polling." },
  { question: "WILL THE LEVY PASS BY JUNE?", initial_price_yes: 0.4, rationale: "duplicate" },
  "not an object",
  { question: "x".repeat(201), initial_price_yes: 0.5, rationale: "too long" },
  { question: 42, initial_price_yes: 0.5 },
  { question: "Will turnout exceed 60%?", initial_price_yes: 0.01 },
  { question: "Will the mayor endorse it?", initial_price_yes: "0.7", rationale: "Signals so far." },
  { question: "Will a recount be requested?", initial_price_yes: 0.3, rationale: "Close races." }
]

describe("XaiMarketDeriver", () => {
  const derive = (tier: Tier, ...replies: ReadonlyArray<FakeXaiReply>) =>
    Effect.gen(function*() {
      const context = yield* setup(...replies)
      const markets = yield* context.telemetry.run(
        context.deriver.derive({ goal: "Will the levy pass?", seedText: "S".repeat(2995) + "T".repeat(20), tier })
      )
      return { ...context, markets }
    })

  it.effect("normalizes the model's markets: malformed and duplicate entries dropped, prices clamped, capped by tier", () =>
    Effect.gen(function*() {
      const { fake, markets, telemetry } = yield* derive("small", marketsReply(proposed))
      assert.deepStrictEqual(markets, [
        { id: "m1", question: "Will the levy pass by June?", initial_price_yes: 0.95, rationale: "Strong polling." },
        { id: "m2", question: "Will turnout exceed 60%?", initial_price_yes: 0.05, rationale: "" },
        { id: "m3", question: "Will the mayor endorse it?", initial_price_yes: 0.7, rationale: "Signals so far." }
      ])
      const body = bodyOf(fake, 0)
      assert.deepStrictEqual(body.text, { format: { type: "json_object" } })
      assert.isUndefined(body.tools)
      const user = body.input.find((message) => message.role === "user")?.content ?? ""
      assert.include(user, "S".repeat(2995) + "T".repeat(5))
      assert.notInclude(user, "T".repeat(6))
      assert.include(user, "Will the levy pass?")
      assert.strictEqual(telemetry.usage.length, 1)
      assert.strictEqual(telemetry.usage[0]?.step, "markets")
      assert.strictEqual(telemetry.usage[0]?.inputTokens, 800)
      assert.strictEqual(telemetry.usage[0]?.outputTokens, 200)
      assert.isAbove(telemetry.usage[0]?.costUsd ?? 0, 0)
      assertNoKey(telemetry)
    }))

  it.effect("a large tier keeps up to 5, and JSON inside a code fence is read", () =>
    Effect.gen(function*() {
      const { markets } = yield* derive("large", marketsReply(proposed, true))
      assert.deepStrictEqual(markets.map((market) => market.id), ["m1", "m2", "m3", "m4"])
      const medium = yield* derive("medium", marketsReply([...proposed, { question: "Will it rain?", initial_price_yes: 0.5 }]))
      assert.strictEqual(medium.markets.length, 4)
    }))

  const noMarkets: ReadonlyArray<readonly [string, FakeXaiReply]> = [
    ["a reply that is not JSON", { kind: "answer", text: "I think there should be a market about the levy." }],
    ["JSON without markets", { kind: "answer", text: "{\"questions\": []}" }],
    ["markets that are not a list", marketsReply("none")],
    ["an empty answer", { kind: "answer", text: "" }],
    ["429", { kind: "status", status: 429, retryAfter: "3" }],
    ["500", { kind: "status", status: 500 }],
    ["400", { kind: "status", status: 400 }],
    ["a malformed body", { kind: "raw", body: "<html>bad gateway</html>" }]
  ]
  for (const [label, reply] of noMarkets) {
    it.effect(`no markets on ${label}`, () =>
      Effect.gen(function*() {
        const { fake, markets, telemetry } = yield* derive("medium", reply)
        assert.deepStrictEqual(markets, [])
        assert.strictEqual(fake.requests.length, 1)
        assertNoKey(telemetry)
      }))
  }
})

describe("xAI client", () => {
  const clientFor = (baseUrl: string, telemetry = harness()) =>
    makeXaiClient({ baseUrl, apiKey: Redacted.make(KEY), model: MODEL }).pipe(
      Effect.provide(Layer.merge(FetchHttpClient.layer, telemetry.recorder))
    )
  const call = { step: "enrichment", instructions: "i", prompt: "p" } as const

  it.effect("classifies errors as transient or permanent, and never puts the key in them", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeXai(KEY)
      const telemetry = harness()
      const client = yield* clientFor(fake.url, telemetry)
      const cases: ReadonlyArray<readonly [FakeXaiReply, "transient" | "permanent"]> = [
        [{ kind: "status", status: 429, retryAfter: "12" }, "transient"],
        [{ kind: "status", status: 500 }, "transient"],
        [{ kind: "status", status: 503 }, "transient"],
        [{ kind: "status", status: 400 }, "permanent"],
        [{ kind: "status", status: 404 }, "permanent"],
        // a server that echoes the credentials back in its error body
        [{ kind: "status", status: 401, body: `{"error":"Incorrect API key provided: Bearer ${KEY}"}` }, "permanent"],
        [{ kind: "raw", body: "not json at all" }, "permanent"],
        [{ kind: "raw", body: "{\"output\": 3}" }, "permanent"]
      ]
      for (const [reply, kind] of cases) {
        fake.script(reply)
        const error = yield* telemetry.run(client.create({ ...call, timeout: Duration30 })).pipe(Effect.flip)
        assert.strictEqual(error._tag, "LlmError")
        assert.strictEqual(error.kind, kind, error.message)
        assertNoKey(telemetry, [error.message, JSON.stringify(error), String(error), Cause.pretty(Cause.fail(error))])
      }
      const echoed = fake.requests.length
      assert.strictEqual(echoed, cases.length)
    }))

  it.effect("a connection error is transient", () =>
    Effect.gen(function*() {
      // a port that was just free: the fake is started and stopped to find one
      const url = yield* Effect.scoped(startFakeXai(KEY).pipe(Effect.map((fake) => fake.url)))
      const client = yield* clientFor(url)
      const error = yield* client.create({ ...call, timeout: Duration30 }).pipe(Effect.flip)
      assert.strictEqual(error.kind, "transient")
      assert.match(error.message, /unreachable/)
      assert.notInclude(error.message, KEY)
    }))

  it.effect("a wrong key is a permanent 401", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeXai("another-key")
      const client = yield* clientFor(fake.url)
      const error = yield* client.create({ ...call, timeout: Duration30 }).pipe(Effect.flip)
      assert.strictEqual(error.kind, "permanent")
      assert.match(error.message, /401/)
    }))
})


describe("xAI settings", () => {
  const load = <A>(config: Effect.Effect<A, unknown>, env: Record<string, string>) => config.pipe(Effect.provide(configFromEnv(env)))

  it.effect("defaults: the xAI API root and the fast Grok model; the key redacted", () =>
    Effect.gen(function*() {
      const config = yield* load(XaiConfig, { XAI_API_KEY: KEY })
      assert.strictEqual(config.baseUrl, "https://api.x.ai/v1")
      assert.strictEqual(config.model, "grok-4-fast-non-reasoning")
      assert.strictEqual(Redacted.value(config.apiKey), KEY)
      assert.notInclude(JSON.stringify(config), KEY)
    }))

  it.effect("XAI_BASE_URL loses its trailing slash; one that is not an http(s) URL fails naming it", () =>
    Effect.gen(function*() {
      const config = yield* load(XaiConfig, { XAI_API_KEY: KEY, XAI_BASE_URL: "http://127.0.0.1:4020/v1/" })
      assert.strictEqual(config.baseUrl, "http://127.0.0.1:4020/v1")
      for (const url of ["api.x.ai/v1", "ftp://api.x.ai/v1", "https://api.x.ai/v1?beta=1"]) {
        const error = String(yield* Effect.flip(load(XaiConfig, { XAI_API_KEY: KEY, XAI_BASE_URL: url })))
        assert.include(error, "XAI_BASE_URL")
        assert.notInclude(error, KEY)
      }
    }))

  it.effect("the composition root's XAI_API_KEY: unset, empty or blank = none (the offline steps run)", () =>
    Effect.gen(function*() {
      for (const env of [{}, { XAI_API_KEY: "" }, { XAI_API_KEY: " \t " }]) {
        assert.isTrue(Option.isNone(yield* load(xaiApiKey, env)))
      }
      const key = yield* load(xaiApiKey, { XAI_API_KEY: KEY })
      assert.strictEqual(Redacted.value(Option.getOrThrow(key)), KEY)
      assert.notInclude(String(key), KEY)
    }))
})
