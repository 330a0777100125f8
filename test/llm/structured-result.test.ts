/** The six artifact-built parts of the report's structured result, on the sample simulation's artifacts. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { loadReportArtifacts } from "../../layers/llm/report/report-artifacts.ts"
import { simulationParts, structuredLimits } from "../../layers/llm/report/structured-result.ts"
import { type SimDataFile, simDataKey } from "../../src/domain/artifacts.ts"
import { JobId } from "../../src/domain/ids.ts"
import { SimulationParts } from "../../src/domain/report.ts"
import { MemoryObjectStoreLive } from "../support/memory-object-store.ts"
import { artifactBytes, type SampleArtifacts, sampleArtifacts } from "../support/sample-artifacts.ts"

const jobId = JobId.make(5)
const m1 = { id: "m1", question: "Will the ECB cut rates before July?", initial_price_yes: 0.5 }
const m2 = { id: "m2", question: "Will inflation fall below 2%?", initial_price_yes: 0.3 }

/** The parts, built from `files` as the report writers load them (through the object store and the decoders). */
const partsOf = (files: Partial<Record<SimDataFile, unknown>>, forecastDays = 30) =>
  loadReportArtifacts(jobId).pipe(
    Effect.map((artifacts) => simulationParts({ artifacts, forecastDays })),
    Effect.provide(MemoryObjectStoreLive({
      objects: artifactBytes(files).map(([file, body]) => [simDataKey(jobId, file), { body, contentType: "application/json" }] as const)
    }))
  )

const only = (artifacts: SampleArtifacts, ...files: ReadonlyArray<SimDataFile>) =>
  Object.fromEntries(files.map((file) => [file, artifacts[file]]))

const required = ["chat_log.json", "posts.json", "trades.json", "agent_trajectories.json"] as const

const oneMarket = sampleArtifacts({ rounds: 5, agents: 4, markets: [m1] })

describe("stakeholder positions", () => {
  it.effect("are the most active agents, with their stance, output and where their beliefs went", () =>
    Effect.gen(function*() {
      const { stakeholder_positions: positions } = yield* partsOf(oneMarket)
      const actions = (id: string) => oneMarket["chat_log.json"].filter((e) => e.agent_id === id && e.action !== "idle").length
      assert.deepStrictEqual(positions.map((p) => p.agent_id), ["a0", "a2", "a1", "a3"])
      assert.deepStrictEqual(positions.map((p) => p.actions), positions.map((p) => actions(p.agent_id)))
      const ada = positions[0]!
      assert.strictEqual(ada.name, "Ada")
      assert.strictEqual(ada.stance, "optimistic")
      assert.strictEqual(ada.persona, "Ada is a retail investor")
      assert.strictEqual(ada.posts, oneMarket["posts.json"].filter((p) => p.agent_id === "a0").length)
      assert.strictEqual(ada.trades, oneMarket["trades.json"].filter((t) => t.agent_id === "a0").length)
      assert.strictEqual(ada.likes, oneMarket["posts.json"].filter((p) => p.agent_id === "a0").reduce((n, p) => n + p.likes, 0))
      const points = oneMarket["agent_trajectories.json"][0]!.points
      const [first, final] = [points[0]!.beliefs.m1!, points.at(-1)!.beliefs.m1!]
      assert.deepStrictEqual(ada.beliefs, [{ market_id: "m1", first, final, shift: Math.round((final - first) * 10_000) / 10_000 }])
      // The skeptic digs in: its belief falls round after round.
      const bashir = positions.find((p) => p.name === "Bashir")!
      assert.isBelow(bashir.beliefs[0]!.shift, 0)
    }))

  it.effect("are capped, most active first, and have no stance or persona without profiles", () =>
    Effect.gen(function*() {
      const many = sampleArtifacts({ rounds: 4, agents: 12, markets: [m1] })
      const { stakeholder_positions: positions } = yield* partsOf(only(many, ...required))
      assert.strictEqual(positions.length, structuredLimits.stakeholders)
      for (let i = 1; i < positions.length; i++) assert.isAtMost(positions[i]!.actions, positions[i - 1]!.actions)
      const idle = many["agent_trajectories.json"].map((t) => t.agent_id).filter((id) => !positions.some((p) => p.agent_id === id))
      for (const id of idle) {
        const acted = many["chat_log.json"].filter((e) => e.agent_id === id && e.action !== "idle").length
        assert.isAtMost(acted, positions.at(-1)!.actions)
      }
      assert.isTrue(positions.every((p) => p.stance === null && p.persona === null))
    }))
})

describe("named coalitions", () => {
  it.effect("group agents who follow each other, named from their stance and best-connected member", () =>
    Effect.gen(function*() {
      const { named_coalitions: coalitions } = yield* partsOf(oneMarket)
      // Partners follow each other in round 2: Ada and Bashir, Chen and Dara.
      assert.deepStrictEqual(coalitions.map((c) => c.members.map((m) => m.name)), [["Ada", "Bashir"], ["Chen", "Dara"]])
      const follows = new Set(oneMarket["chat_log.json"].filter((e) => e.action === "follow").map((e) => `${e.agent_id}>${e.target}`))
      for (const c of coalitions) {
        const [a, b] = c.members.map((m) => m.agent_id)
        assert.isTrue(follows.has(`${a}>${b}`) && follows.has(`${b}>${a}`), `${c.name}: its members follow each other`)
        assert.strictEqual(c.size, 2)
        assert.strictEqual(c.ties, 1)
      }
      // Ada is optimistic and Bashir skeptical: no stance dominates.
      assert.deepStrictEqual(coalitions[0], {
        name: "Mixed bloc around Ada",
        stance: null,
        size: 2,
        members: [{ agent_id: "a0", name: "Ada" }, { agent_id: "a1", name: "Bashir" }],
        stances: [{ stance: "optimistic", count: 1 }, { stance: "skeptical", count: 1 }],
        ties: 1,
        mean_beliefs: [{
          market_id: "m1",
          mean: Math.round(
            (oneMarket["agent_trajectories.json"][0]!.points.at(-1)!.beliefs.m1! +
              oneMarket["agent_trajectories.json"][1]!.points.at(-1)!.beliefs.m1!) / 2 * 10_000
          ) / 10_000
        }]
      })
    }))

  it.effect("bind a one-way follow or reply only between agents of one stance, and take their name from it", () =>
    Effect.gen(function*() {
      // Chen (undecided) also follows Ada (optimistic), one way: no tie. Dara (optimistic) follows Ada: a tie.
      const graph = oneMarket["social_graph.json"]
      const edges = [
        ...graph.edges,
        { source: "a2", target: "a0", kind: "follow" as const },
        { source: "a3", target: "a0", kind: "follow" as const }
      ]
      const { named_coalitions: coalitions } = yield* partsOf({ ...oneMarket, "social_graph.json": { ...graph, edges } })
      assert.strictEqual(coalitions.length, 1)
      const [bloc] = coalitions
      assert.strictEqual(bloc!.name, "Optimistic bloc around Ada")
      assert.strictEqual(bloc!.stance, "optimistic")
      assert.deepStrictEqual(bloc!.members.map((m) => m.name), ["Ada", "Dara", "Bashir", "Chen"])
      assert.deepStrictEqual(bloc!.stances, [
        { stance: "optimistic", count: 2 },
        { stance: "skeptical", count: 1 },
        { stance: "undecided", count: 1 }
      ])
      // Ada-Bashir and Chen-Dara (mutual follows), Dara-Ada (one stance); Chen-Ada is not a tie.
      assert.strictEqual(bloc!.ties, 3)
    }))

  it.effect("come from the chat log's follows when there is no social graph, and are capped", () =>
    Effect.gen(function*() {
      const fromLog = yield* partsOf(only(oneMarket, ...required))
      assert.deepStrictEqual(fromLog.named_coalitions.map((c) => c.members.map((m) => m.name)), [["Ada", "Bashir"], ["Chen", "Dara"]])
      assert.isTrue(fromLog.named_coalitions.every((c) => c.stance === null && c.name.startsWith("Bloc around ")))
      const many = yield* partsOf(sampleArtifacts({ rounds: 2, agents: 14 }))
      assert.strictEqual(many.named_coalitions.length, structuredLimits.coalitions)
    }))
})

describe("phase boundaries", () => {
  it.effect("are the rounds where a market changed its lead and activity turned, in round order", () =>
    Effect.gen(function*() {
      const { phase_boundaries: phases } = yield* partsOf(oneMarket)
      // m1: 0.50, 0.54, 0.46, 0.50, 0.58, 0.62: NO leads from round 2, YES again from round 4.
      assert.deepStrictEqual(phases.map((p) => [p.round, p.kind, p.label]), [
        [2, "lead_change", "NO takes the lead"],
        [3, "activity_drop", "Activity drops"],
        [4, "lead_change", "YES takes the lead"]
      ])
      assert.strictEqual(
        phases[0]!.description,
        "'Will the ECB cut rates before July?' crossed 0.50: 0.54 -> 0.46 YES in round 2, led by Bashir's 20-share NO trade."
      )
      assert.strictEqual(phases[1]!.description, "Actions fell from 5 to 3 in round 3 (1 post, 1 reply, 1 trade).")
      assert.isNull(phases[1]!.market_id)
    }))

  it.effect("include a market's largest move when it stands out, and stay within five", () =>
    Effect.gen(function*() {
      const { phase_boundaries: phases } = yield* partsOf(sampleArtifacts({ rounds: 5, agents: 4, markets: [m1, m2] }))
      const move = phases.find((p) => p.kind === "price_move")
      assert.deepStrictEqual(move, {
        round: 2,
        kind: "price_move",
        label: "Biggest move toward NO",
        description: "'Will inflation fall below 2%?' moved 0.30 -> 0.22 YES (-0.08) in round 2, led by Bashir's 20-share NO trade, " +
          "its largest one-round move.",
        market_id: "m2"
      })
      const long = yield* partsOf(sampleArtifacts({ rounds: 40, agents: 3, markets: [m1, m2] }))
      assert.isAtMost(long.phase_boundaries.length, structuredLimits.phaseBoundaries)
      const rounds = long.phase_boundaries.map((p) => p.round)
      assert.deepStrictEqual(rounds, [...rounds].sort((a, b) => a - b))
    }))

  it.effect("are only activity changes without markets", () =>
    Effect.gen(function*() {
      const { phase_boundaries: phases } = yield* partsOf(sampleArtifacts({ rounds: 4, agents: 6 }))
      assert.isAbove(phases.length, 0)
      assert.isTrue(phases.every((p) => p.kind.startsWith("activity_") && p.market_id === null))
    }))
})

describe("quotable posts", () => {
  it.effect("are the most engaging posts (likes + replies), at most five, quoted whole", () =>
    Effect.gen(function*() {
      const { quotable_posts: quotes } = yield* partsOf(oneMarket)
      const posts = oneMarket["posts.json"]
      const engagement = (p: { readonly likes: number; readonly replies: number }) => p.likes + p.replies
      assert.strictEqual(quotes.length, 5)
      // The top one is the most-liked post, and with its reply the most engaging.
      const top = quotes[0]!
      assert.strictEqual(top.likes, Math.max(...posts.map((p) => p.likes)))
      assert.strictEqual(engagement(top), Math.max(...posts.map(engagement)))
      const source = posts.find((p) => p.id === top.post_id)!
      assert.deepStrictEqual(top, {
        post_id: source.id,
        agent_id: source.agent_id,
        agent_name: source.agent_name,
        round: source.round,
        text: source.text,
        likes: source.likes,
        replies: source.replies,
        reply_to: source.reply_to
      })
      for (let i = 1; i < quotes.length; i++) assert.isAtMost(engagement(quotes[i]!), engagement(quotes[i - 1]!))
      const left = posts.filter((p) => !quotes.some((q) => q.post_id === p.id))
      assert.isTrue(left.every((p) => engagement(p) <= engagement(quotes.at(-1)!)))
    }))

  it.effect("cut a long post at a word", () =>
    Effect.gen(function*() {
      const posts = oneMarket["posts.json"].map((p, i) => (i === 0 ? { ...p, likes: 99, text: "word ".repeat(300) } : p))
      const { quotable_posts: quotes } = yield* partsOf({ ...oneMarket, "posts.json": posts })
      assert.strictEqual(quotes[0]!.post_id, posts[0]!.id)
      assert.isAtMost(quotes[0]!.text.length, structuredLimits.quotableText)
      assert.isTrue(quotes[0]!.text.endsWith("word…"))
    }))
})

describe("disagreement axis", () => {
  it.effect("names the agents on the YES side and on the NO side of the most divided market", () =>
    Effect.gen(function*() {
      const { disagreement_axis: axis } = yield* partsOf(oneMarket)
      assert.isNotNull(axis)
      const finals = oneMarket["agent_trajectories.json"].map((t) => t.points.at(-1)!.beliefs.m1!)
      assert.strictEqual(axis!.market_id, "m1")
      assert.strictEqual(axis!.question, m1.question)
      assert.strictEqual(axis!.spread, Math.round((Math.max(...finals) - Math.min(...finals)) * 10_000) / 10_000)
      assert.strictEqual(axis!.closing_price, oneMarket["market_curves.json"][0]!.points.at(-1)!.price_yes)
      // The optimists and the undecided ended above 0.5, the skeptic below: the split is at 0.5.
      assert.strictEqual(axis!.pivot, 0.5)
      assert.sameMembers(axis!.yes_side.map((m) => m.name), ["Ada", "Chen", "Dara"])
      assert.deepStrictEqual(axis!.no_side.map((m) => m.name), ["Bashir"])
      assert.isTrue(axis!.yes_side.every((m) => m.belief > 0.5) && axis!.no_side.every((m) => m.belief < 0.5))
      assert.deepStrictEqual([axis!.yes_count, axis!.no_count], [3, 1])
    }))

  it.effect("splits a crowd that leans one way at its mean belief", () =>
    Effect.gen(function*() {
      const trajectories = oneMarket["agent_trajectories.json"].map((t) => ({
        ...t,
        points: t.points.map((p) => ({ ...p, beliefs: { m1: Math.min(0.45, p.beliefs.m1! - 0.3) } }))
      }))
      const { disagreement_axis: axis } = yield* partsOf({ ...oneMarket, "agent_trajectories.json": trajectories })
      assert.isBelow(axis!.pivot, 0.5)
      assert.strictEqual(axis!.pivot, axis!.mean)
      assert.isAbove(axis!.yes_side.length, 0)
      assert.isAbove(axis!.no_side.length, 0)
    }))

  it.effect("is the market whose beliefs diverge most, and null without markets", () =>
    Effect.gen(function*() {
      const two = sampleArtifacts({ rounds: 5, agents: 4, markets: [m1, m2] })
      const { disagreement_axis: axis } = yield* partsOf(two)
      const spread = (id: string) => {
        const finals = two["agent_trajectories.json"].map((t) => t.points.at(-1)!.beliefs[id]!)
        return Math.max(...finals) - Math.min(...finals)
      }
      assert.strictEqual(axis!.market_id, spread("m1") >= spread("m2") ? "m1" : "m2")
      assert.isNull((yield* partsOf(sampleArtifacts({ rounds: 3, agents: 4 }))).disagreement_axis)
    }))
})

describe("simulation scale", () => {
  it.effect("is the pod's engagement summary with the markets and the forecast window, or counted without it", () =>
    Effect.gen(function*() {
      const { sim_scale: scale } = yield* partsOf(oneMarket, 14)
      assert.deepStrictEqual(scale, { ...oneMarket["engagement_summary.json"], markets: 1, forecast_days: 14 })
      const counted = yield* partsOf(only(oneMarket, ...required), 14)
      assert.deepStrictEqual(counted.sim_scale, scale)
    }))
})

describe("the six parts", () => {
  it.effect("are built from the four required files alone, decode with their schema and are deterministic", () =>
    Effect.gen(function*() {
      const minimal = yield* partsOf(only(oneMarket, ...required))
      assert.isTrue(Schema.is(SimulationParts)(minimal))
      // Without an uploaded curve, the market's prices come from its trades.
      assert.strictEqual(minimal.disagreement_axis!.question, "")
      assert.strictEqual(minimal.disagreement_axis!.closing_price, oneMarket["trades.json"].at(-1)!.price_after)
      const full = yield* partsOf(oneMarket)
      assert.isTrue(Schema.is(SimulationParts)(full))
      assert.deepStrictEqual(yield* partsOf(JSON.parse(JSON.stringify(oneMarket))), full)
      const empty = yield* partsOf(sampleArtifacts({ rounds: 0, agents: 0 }))
      assert.deepStrictEqual(empty, {
        stakeholder_positions: [],
        named_coalitions: [],
        phase_boundaries: [],
        quotable_posts: [],
        disagreement_axis: null,
        sim_scale: { rounds: 0, agents: 0, markets: 0, posts: 0, replies: 0, follows: 0, trades: 0, likes: 0, forecast_days: 30 }
      })
    }))
})
