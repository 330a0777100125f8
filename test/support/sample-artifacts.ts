/**
 * A small, consistent simulation for tests: the ten artifact files a pod uploads, as JSON-ready values that decode
 * with `artifactSchemas`. Everything is derived from the options by fixed rules (no randomness), so a test can
 * rely on exact numbers and two calls give equal values.
 *
 * The story, per round r = 1..rounds, for agents a0..a(n-1):
 * - every agent takes one social action: in round 1 everyone posts; in round 2 agents follow their partner
 *   (a0<->a1, a2<->a3, ...; with an odd count the last agent follows a0 without being followed back); from round 3
 *   on an agent idles, replies to the latest post by someone else, or posts, in turn;
 * - with markets, one agent per round (a((r-1) mod n)) also trades on market (r-1) mod m: "optimistic" agents buy
 *   YES, "skeptical" ones NO, "undecided" ones alternate; each trade moves the price by 0.004 per share;
 * - each market's curve has the opening price at round 0 and the price after every round;
 * - beliefs (one per market) start from the stance (0.7 / 0.3 / 0.5); optimistic and undecided agents move a
 *   quarter of the way to the price each round, skeptical agents dig in by 0.02 (so some dissent shows).
 */
import { type artifactSchemas, type SimDataFile, simDataFiles } from "../../src/domain/artifacts.ts"
import type { Market } from "../../src/domain/market.ts"

export type SampleArtifacts = { readonly [F in SimDataFile]: (typeof artifactSchemas)[F]["Encoded"] }

export interface SampleArtifactsOptions {
  /** Rounds played (default 3). */
  readonly rounds?: number
  /** Agents taking part (default 4). */
  readonly agents?: number
  /** The job's markets (default none: no trades, no curves, no beliefs). */
  readonly markets?: ReadonlyArray<Pick<Market, "id" | "question" | "initial_price_yes">>
}

const firstNames = ["Ada", "Bashir", "Chen", "Dara", "Eitan", "Farah", "Goran", "Hana", "Ines", "Jun"]
const personas = ["retail investor", "policy analyst", "journalist", "engineer", "economist"]
const stances = ["optimistic", "skeptical", "undecided"] as const
const openingBelief = { optimistic: 0.7, skeptical: 0.3, undecided: 0.5 } as const

const round3 = (x: number) => Math.round(x * 1000) / 1000
const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x))

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type ChatEntry = Mutable<SampleArtifacts["chat_log.json"][number]>
type Post = Mutable<SampleArtifacts["posts.json"][number]>
type Trade = SampleArtifacts["trades.json"][number]
type TrajectoryPoint = SampleArtifacts["agent_trajectories.json"][number]["points"][number]

export const sampleArtifacts = (options: SampleArtifactsOptions = {}): SampleArtifacts => {
  const roundCount = Math.max(0, Math.floor(options.rounds ?? 3))
  const agentCount = Math.max(0, Math.floor(options.agents ?? 4))
  const markets = options.markets ?? []
  const agents = Array.from({ length: agentCount }, (_, i) => ({
    id: `a${i}`,
    name: i < firstNames.length ? firstNames[i]! : `${firstNames[i % firstNames.length]} ${Math.floor(i / firstNames.length) + 1}`,
    persona: personas[i % personas.length]!,
    stance: stances[i % stances.length]!
  }))
  const topic = markets[0]?.question ?? "the seed document"

  const chatLog: Array<ChatEntry> = []
  const posts: Array<Post> = []
  const trades: Array<Trade> = []
  const follows: Array<{ readonly source: string; readonly target: string }> = []
  const prices = new Map(markets.map((m) => [m.id, m.initial_price_yes]))
  const curves = markets.map((m) => ({ id: m.id, question: m.question, points: [{ round: 0, price_yes: m.initial_price_yes }] }))
  const beliefs = agents.map((a) => new Map<string, number>(markets.map((m) => [m.id, openingBelief[a.stance]])))
  const trajectories = agents.map(() => new Array<TrajectoryPoint>())

  const writePost = (round: number, agent: (typeof agents)[number], replyTo: Post | undefined) => {
    const id = `p${posts.length + 1}`
    const text = replyTo === undefined
      ? `Round ${round}: as ${/^[aeiou]/.test(agent.persona) ? "an" : "a"} ${agent.persona} I am ${agent.stance} about ${topic}`
      : `@${replyTo.agent_name} round ${round}: I see it differently, being ${agent.stance}.`
    posts.push({
      id,
      round,
      agent_id: agent.id,
      agent_name: agent.name,
      text,
      reply_to: replyTo?.id ?? null,
      likes: (posts.length * 7 + agents.indexOf(agent) * 3) % 13,
      replies: 0
    })
    if (replyTo !== undefined) replyTo.replies += 1
    chatLog.push({
      round,
      agent_id: agent.id,
      agent_name: agent.name,
      action: replyTo === undefined ? "post" : "reply",
      content: text,
      target: replyTo?.id ?? null
    })
  }

  for (let round = 1; round <= roundCount; round++) {
    const actions = new Map<string, number>()
    const acted = (agentId: string) => actions.set(agentId, (actions.get(agentId) ?? 0) + 1)
    agents.forEach((agent, i) => {
      const partner = agents[i ^ 1] ?? (i > 0 ? agents[0] : undefined)
      if (round === 2 && partner !== undefined) {
        follows.push({ source: agent.id, target: partner.id })
        chatLog.push({ round, agent_id: agent.id, agent_name: agent.name, action: "follow", content: `follows ${partner.name}`, target: partner.id })
        acted(agent.id)
        return
      }
      const turn = (i + round) % 3
      if (round >= 3 && turn === 0) {
        chatLog.push({ round, agent_id: agent.id, agent_name: agent.name, action: "idle", content: "", target: null })
        return
      }
      const latestByOther = [...posts].reverse().find((p) => p.agent_id !== agent.id)
      writePost(round, agent, round >= 3 && turn === 1 ? latestByOther : undefined)
      acted(agent.id)
    })
    if (markets.length > 0 && agents.length > 0) {
      const trader = agents[(round - 1) % agents.length]!
      const market = markets[(round - 1) % markets.length]!
      const side = trader.stance === "optimistic"
        ? "YES"
        : trader.stance === "skeptical"
        ? "NO"
        : round % 2 === 0 ? "NO" : "YES"
      const shares = 5 + ((round + agents.indexOf(trader)) % 4) * 5
      const before = prices.get(market.id)!
      const after = round3(clamp(before + (side === "YES" ? 1 : -1) * shares * 0.004, 0.02, 0.98))
      prices.set(market.id, after)
      trades.push({ round, agent_id: trader.id, market_id: market.id, side, shares, price_before: before, price_after: after })
      chatLog.push({
        round,
        agent_id: trader.id,
        agent_name: trader.name,
        action: "trade",
        content: `${side} ${shares} shares on ${market.id}`,
        target: market.id
      })
      acted(trader.id)
    }
    for (const curve of curves) curve.points.push({ round, price_yes: prices.get(curve.id)! })
    agents.forEach((agent, i) => {
      const held = beliefs[i]!
      for (const [marketId, belief] of held) {
        const moved = agent.stance === "skeptical" ? belief - 0.02 : belief + 0.25 * (prices.get(marketId)! - belief)
        held.set(marketId, round3(clamp(moved, 0.01, 0.99)))
      }
      trajectories[i]!.push({ round, actions: actions.get(agent.id) ?? 0, beliefs: Object.fromEntries(held) })
    })
  }

  const replyEdges = posts.flatMap((p) => {
    const parent = posts.find((q) => q.id === p.reply_to)
    return parent === undefined ? [] : [{ source: p.agent_id, target: parent.agent_id }]
  })
  const replyWeights = new Map<string, { source: string; target: string; weight: number }>()
  for (const e of replyEdges) {
    const key = `${e.source}>${e.target}`
    const seen = replyWeights.get(key)
    if (seen === undefined) replyWeights.set(key, { ...e, weight: 1 })
    else seen.weight += 1
  }
  const byLikes = [...posts].sort((a, b) => b.likes - a.likes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

  return {
    "market_curves.json": curves.map((c) => ({ market_id: c.id, question: c.question, points: c.points })),
    "agent_trajectories.json": agents.map((a, i) => ({ agent_id: a.id, name: a.name, points: trajectories[i]! })),
    "engagement_summary.json": {
      rounds: roundCount,
      agents: agentCount,
      posts: posts.length,
      replies: posts.filter((p) => p.reply_to !== null).length,
      follows: follows.length,
      trades: trades.length,
      likes: posts.reduce((sum, p) => sum + p.likes, 0)
    },
    "top_posts.json": byLikes.slice(0, 5),
    "posts.json": posts,
    "trades.json": trades,
    "social_graph.json": {
      nodes: agents.map((a) => ({ id: a.id, name: a.name })),
      edges: [
        ...follows.map((f) => ({ ...f, kind: "follow" as const })),
        ...[...replyWeights.values()].map((e) => ({ source: e.source, target: e.target, kind: "reply" as const }))
      ]
    },
    "profiles.json": agents.map((a) => ({
      agent_id: a.id,
      name: a.name,
      persona: `${a.name} is a ${a.persona}`,
      stance: a.stance
    })),
    "chat_log.json": chatLog,
    "relations.json": [
      ...follows.map((f) => ({ ...f, relation: "follows", weight: 1 })),
      ...[...replyWeights.values()].map((e) => ({ ...e, relation: "replied_to" }))
    ]
  }
}

/** The artifacts given, as the JSON bytes a pod would upload, in `simDataFiles` order. */
export const artifactBytes = (
  artifacts: Partial<Record<SimDataFile, unknown>>
): ReadonlyArray<readonly [SimDataFile, Uint8Array]> =>
  simDataFiles.flatMap((file) => {
    const value = artifacts[file]
    return value === undefined ? [] : [[file, new TextEncoder().encode(JSON.stringify(value))] as const]
  })
