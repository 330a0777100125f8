import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { OfflineReportWriterLive } from "../../layers/llm/offline/offline-report-writer.ts"
import { LlmError } from "../../services/llm-error.ts"
import { ReportWriter } from "../../services/report-writer.ts"
import { FullStructuredReport, StructuredReport } from "../../src/domain/report.ts"
import { type SimDataFile, simDataKey } from "../../src/domain/artifacts.ts"
import { JobId } from "../../src/domain/ids.ts"
import { parseReport } from "../../layers/llm/report/parse-report.ts"
import { MemoryObjectStoreLive, type MemoryObjectStoreOptions } from "../support/memory-object-store.ts"
import { artifactBytes, type SampleArtifacts, sampleArtifacts } from "../support/sample-artifacts.ts"

const jobId = JobId.make(41)
const goal = "Will the ECB cut rates before July?"
const market = { id: "m1", question: goal, initial_price_yes: 0.5 }

const storedFiles = (files: Partial<Record<SimDataFile, unknown>>) =>
  artifactBytes(files).map(([file, body]) => [simDataKey(jobId, file), { body, contentType: "application/json" }] as const)

/** Writes the report of job 41 from a fresh in-memory store holding `files`. */
const write = (
  files: Partial<Record<SimDataFile, unknown>>,
  options: { readonly goal?: string; readonly forecastDays?: number; readonly store?: MemoryObjectStoreOptions } = {}
) =>
  Effect.gen(function*() {
    const writer = yield* ReportWriter
    return yield* writer.write({ jobId, goal: options.goal ?? goal, forecastDays: options.forecastDays ?? 30 })
  }).pipe(
    Effect.provide(OfflineReportWriterLive.pipe(Layer.provide(MemoryObjectStoreLive({ objects: storedFiles(files), ...options.store }))))
  )

const without = (artifacts: SampleArtifacts, file: SimDataFile) =>
  Object.fromEntries(Object.entries(artifacts).filter(([name]) => name !== file))

const oneMarket = sampleArtifacts({ rounds: 5, agents: 4, markets: [market] })

describe("offline report writer", () => {
  it.effect("writes the report's sections and parses them into the structured result and key insight", () =>
    Effect.gen(function*() {
      const report = yield* write(oneMarket)
      const headings = report.markdown.split("\n").filter((line) => /^##? /.test(line))
      assert.deepStrictEqual(headings, [`# ${goal}`, "## Executive Summary", "## Verdict", "## Key Findings"])

      assert.isTrue(Schema.is(FullStructuredReport)(report.structured))
      const { brief, verdict, findings } = report.structured
      assert.deepStrictEqual({ brief, verdict, findings }, parseReport(report.markdown))
      assert.include(report.structured.brief, "The simulation ran 5 rounds with 4 agents.")
      assert.include(report.structured.brief, "Most active agents:")
      const curve = oneMarket["market_curves.json"][0]!
      const close = curve.points.at(-1)!.price_yes.toFixed(2)
      assert.include(report.structured.brief, `'${goal}' (m1) moved from 0.50 YES in round 0 to ${close} YES in round 5`)
      assert.match(
        report.structured.verdict,
        new RegExp(`^Market '${goal.replace(/[?.]/g, "\\$&")}' closed at ${close} YES after 5 rounds: the simulated crowd (strongly expects|leans|is split)`)
      )
      assert.include(report.structured.verdict, "30-day forecast window")
      assert.strictEqual(report.keyInsight, report.structured.verdict)
      // No model was called, so there is no usage to record.
      assert.isFalse("usage" in report)
    }))

  it.effect("finds the biggest price move, the most-liked posts, mutual follows and belief shifts", () =>
    Effect.gen(function*() {
      const { structured } = yield* write(oneMarket)
      assert.deepStrictEqual(structured.findings.map((f) => f.slot), ["momentum", "voices", "coalitions", "dissent"])
      const [momentum, voices, coalitions, dissent] = structured.findings

      assert.include(momentum!.body, "The YES price went from 0.50 in round 0")
      assert.match(momentum!.citation ?? "", /^trade by \w+ in round \d+ \((YES|NO), \d+ shares, \d\.\d\d -> \d\.\d\d\)$/)

      const posts = oneMarket["posts.json"]
      const topLikes = Math.max(...posts.map((p) => p.likes))
      const top = posts.filter((p) => p.likes === topLikes).sort((a, b) => b.replies - a.replies || a.round - b.round)[0]!
      assert.strictEqual(voices!.citation, `post ${top.id} by ${top.agent_name}`)
      assert.include(voices!.body, `"${top.text}"`)

      assert.strictEqual(coalitions!.body, "2 pairs of agents follow each other:\n- Ada and Bashir\n- Chen and Dara")
      assert.isNull(coalitions!.citation)

      assert.match(dissent!.title, /^(Against the crowd|Biggest belief shifts) on /)
      assert.match(dissent!.body, /^- \w+: \d\.\d\d -> \d\.\d\d \([+-]?\d\.\d\d\)$/m)
    }))

  it.effect("carries all nine parts, the six artifact parts telling the same story as the artifacts", () =>
    Effect.gen(function*() {
      const { structured } = yield* write(oneMarket, { forecastDays: 45 })
      assert.deepStrictEqual(Object.keys(structured).sort(), [
        "brief",
        "disagreement_axis",
        "findings",
        "named_coalitions",
        "phase_boundaries",
        "quotable_posts",
        "sim_scale",
        "stakeholder_positions",
        "verdict"
      ])
      assert.deepStrictEqual(structured.sim_scale, {
        ...oneMarket["engagement_summary.json"],
        markets: 1,
        forecast_days: 45
      })
      assert.deepStrictEqual(structured.named_coalitions.map((c) => c.members.map((m) => m.name)), [["Ada", "Bashir"], ["Chen", "Dara"]])
      assert.strictEqual(structured.quotable_posts[0]!.post_id, "p10")
      assert.strictEqual(structured.stakeholder_positions[0]!.name, "Ada")
      assert.strictEqual(structured.disagreement_axis!.market_id, "m1")
      assert.isAbove(structured.phase_boundaries.length, 0)
      // Stored as jsonb and served back, it decodes as the API's structured result, unchanged.
      const stored = Schema.decodeUnknownSync(StructuredReport)(JSON.parse(JSON.stringify(structured)))
      assert.deepStrictEqual(stored, structured)
    }))

  it.effect("writes byte-identical markdown for the same artifacts", () =>
    Effect.gen(function*() {
      const first = yield* write(oneMarket)
      const second = yield* write(JSON.parse(JSON.stringify(oneMarket)))
      assert.strictEqual(first.markdown, second.markdown)
      assert.deepStrictEqual(first, second)
    }))

  it.effect("ranks several markets by how decisive they are and keeps the verdict one line within 400 characters", () =>
    Effect.gen(function*() {
      const markets = [1, 2, 3, 4, 5].map((i) => ({
        id: `m${i}`,
        question: `Will event number ${i}, described at great length for the sake of this test, happen before the end of the year?`,
        initial_price_yes: 0.1 + i * 0.15
      }))
      const report = yield* write(sampleArtifacts({ rounds: 4, agents: 6, markets }), { goal: "Which events happen?" })
      const verdictLine = report.markdown.split("## Verdict\n\n")[1]!.split("\n")[0]!
      assert.strictEqual(report.structured.verdict, verdictLine)
      assert.isAtMost(verdictLine.length, 400)
      assert.match(verdictLine, /^After 4 rounds, over the 30-day forecast window, the simulated crowd strongly expects yes on 'Will event number 5,/)
      assert.isTrue(verdictLine.endsWith("; 2 more markets in the summary."))
      for (const m of markets) assert.include(report.structured.brief, `(${m.id}) moved from`)
    }))

  it.effect("without markets, the verdict is about stances and engagement, and price findings are left out", () =>
    Effect.gen(function*() {
      const report = yield* write(sampleArtifacts({ rounds: 3, agents: 4 }), { goal: "Forecast the price of oil" })
      assert.include(report.structured.brief, "No prediction market was traded.")
      assert.match(
        report.structured.verdict,
        /^With no market to trade, the optimistic stance dominated \(2 of 4 agents\) over 3 rounds; the most engaged agents were \w+ and \w+\.$/
      )
      assert.deepStrictEqual(report.structured.findings.map((f) => f.slot), ["voices", "coalitions"])
      // Five agents hold 2 optimistic, 2 skeptical and 1 undecided stance: a tie is not called a majority.
      const tied = yield* write(sampleArtifacts({ rounds: 3, agents: 5 }), { goal: "Forecast the price of oil" })
      assert.match(tied.structured.verdict, /^With no market to trade, no stance prevailed over 3 rounds \(2 optimistic, 2 skeptical, 1 undecided\);/)
    }))

  it.effect("needs only the four required artifacts", () =>
    Effect.gen(function*() {
      const { "chat_log.json": chat, "posts.json": posts, "trades.json": trades, "agent_trajectories.json": trajectories } =
        oneMarket
      const report = yield* write({
        "chat_log.json": chat,
        "posts.json": posts,
        "trades.json": trades,
        "agent_trajectories.json": trajectories
      })
      // Without a curve, the market's prices are rebuilt from its trades.
      const close = trades.at(-1)!.price_after.toFixed(2)
      assert.include(
        report.structured.brief,
        `- m1 (no price curve uploaded; prices from its trades) moved from 0.50 YES in round 1 to ${close} YES in round 5`
      )
      assert.match(report.structured.verdict, new RegExp(`^Market m1 closed at ${close} YES after 5 rounds: the simulated crowd`))
      assert.deepStrictEqual(report.structured.findings.map((f) => f.slot), ["momentum", "voices", "coalitions", "dissent"])
      assert.strictEqual(report.structured.findings[0]!.title, "Biggest price move: m1")
    }))

  it.effect("a missing required artifact is a permanent error that names the file", () =>
    Effect.gen(function*() {
      for (const file of ["chat_log.json", "posts.json", "trades.json", "agent_trajectories.json"] as const) {
        const error = yield* Effect.flip(write(without(oneMarket, file)))
        assert.instanceOf(error, LlmError)
        assert.strictEqual(error.kind, "permanent")
        assert.include(error.message, file)
      }
    }))

  it.effect("an artifact that does not decode, required or optional, is a permanent error that names the file", () =>
    Effect.gen(function*() {
      const badTrade = { ...oneMarket["trades.json"][0]!, side: "MAYBE" }
      const cases: ReadonlyArray<readonly [SimDataFile, unknown]> = [
        ["trades.json", [badTrade]],
        ["posts.json", { not: "a list" }],
        ["market_curves.json", [{ market_id: "m1" }]]
      ]
      for (const [file, value] of cases) {
        const error = yield* Effect.flip(write({ ...oneMarket, [file]: value }))
        assert.strictEqual(error.kind, "permanent")
        assert.include(error.message, `${file} does not decode`)
      }
      const notJson = yield* Effect.flip(write(oneMarket, {
        store: { objects: [...storedFiles(oneMarket), [simDataKey(jobId, "profiles.json"), { body: new TextEncoder().encode("{oops"), contentType: "application/json" }]] }
      }))
      assert.strictEqual(notJson.kind, "permanent")
      assert.include(notJson.message, "profiles.json")
    }))

  it.effect("an unreachable store is a transient error, worth retrying", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(write(oneMarket, { store: { failWhen: (operation) => operation === "get" } }))
      assert.strictEqual(error.kind, "transient")
      assert.include(error.message, "chat_log.json")
    }))

  it.effect("text from the simulation cannot forge report sections", () =>
    Effect.gen(function*() {
      const posts = oneMarket["posts.json"].map((p, i) =>
        i === 0 ? { ...p, likes: 99, text: "hello\n## Verdict\nforged\n### slot=fake — Forged\n_Citation: nobody_" } : p
      )
      const report = yield* write({ ...oneMarket, "posts.json": posts })
      assert.notInclude(report.structured.verdict, "forged")
      assert.notInclude(report.structured.findings.map((f) => f.slot), "fake")
      assert.strictEqual(report.structured.findings.find((f) => f.slot === "voices")!.citation, `post p1 by ${posts[0]!.agent_name}`)
    }))
})

describe("offline report writer on an empty simulation", () => {
  it.effect("says there is nothing to judge and lists no findings", () =>
    Effect.gen(function*() {
      const report = yield* write(sampleArtifacts({ rounds: 0, agents: 0 }), { goal: "  " })
      assert.isTrue(report.markdown.startsWith("# Simulation report\n"))
      assert.deepStrictEqual(report.structured, {
        brief: "The simulation ran 0 rounds with 0 agents. They wrote 0 posts (0 replies) and made 0 trades.\n\n" +
          "No agent took an action beyond idling.\n\nNo prediction market was traded.",
        verdict: "The simulation recorded no agent activity, so there is nothing to judge.",
        findings: [],
        stakeholder_positions: [],
        named_coalitions: [],
        phase_boundaries: [],
        quotable_posts: [],
        disagreement_axis: null,
        sim_scale: { rounds: 0, agents: 0, markets: 0, posts: 0, replies: 0, follows: 0, trades: 0, likes: 0, forecast_days: 30 }
      })
    }))
})

describe("offline report layout", () => {
  it.effect("writes exactly this report for a small simulation", () =>
    Effect.gen(function*() {
      const artifacts = sampleArtifacts({ rounds: 4, agents: 4, markets: [market] })
      const report = yield* write(artifacts)
      assert.strictEqual(report.markdown, expectedReport)
    }))
})

/** The offline report for `sampleArtifacts({ rounds: 4, agents: 4, markets: [market] })`: the layout, fixed. */
const expectedReport = `# Will the ECB cut rates before July?

_Offline analysis: written from the simulation's artifacts without a language model._

## Executive Summary

The simulation ran 4 rounds with 4 agents. They wrote 9 posts (3 replies) and made 4 trades.

Most active agents: Bashir (5 actions), Ada (4 actions), Chen (4 actions).

Markets:
- 'Will the ECB cut rates before July?' (m1) moved from 0.50 YES in round 0 to 0.58 YES in round 4 (+0.08) on 4 trades.

## Verdict

Market 'Will the ECB cut rates before July?' closed at 0.58 YES after 4 rounds: the simulated crowd is split over the 30-day forecast window.

## Key Findings

### slot=momentum — Biggest price move: 'Will the ECB cut rates before July?'

The YES price went from 0.50 in round 0 to 0.58 in round 4 (+0.08). The steepest step was -0.08 in round 2. Traders bought 40 YES and 20 NO shares on this market.

_Citation: trade by Bashir in round 2 (NO, 20 shares, 0.54 -> 0.46)_

### slot=voices — Most-liked posts

- Bashir (round 1, 10 likes, 0 replies): "Round 1: as a policy analyst I am skeptical about Will the ECB cut rates before July?"
- Chen (round 1, 7 likes, 0 replies): "Round 1: as a journalist I am undecided about Will the ECB cut rates before July?"
- Bashir (round 3, 5 likes, 0 replies): "@Dara round 3: I see it differently, being skeptical."

_Citation: post p2 by Bashir_

### slot=coalitions — Agents who follow each other

2 pairs of agents follow each other:
- Ada and Bashir
- Chen and Dara

### slot=dissent — Against the crowd on 'Will the ECB cut rates before July?'

The market closed at 0.58 YES; 1 agent moved away from it:
- Bashir: 0.28 -> 0.22 (-0.06)
`
