/**
 * Deterministic story signals computed from the artifacts: who acted most, which posts drew likes, who follows
 * whom, how prices and beliefs moved. The offline report is written from them; the LLM writer can hand the same
 * values to its model as tool results. Every ordering has a tie-breaker, so equal input gives equal output.
 */
import type { AgentTrajectory, ChatEntry, MarketCurve, Post, Profile, Trade } from "../../../src/domain/artifacts.ts"
import type { ReportArtifacts } from "./report-artifacts.ts"

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Agent id -> display name, from the first artifact that names the agent. */
export const agentNames = (artifacts: ReportArtifacts): ReadonlyMap<string, string> => {
  const names = new Map<string, string>()
  const add = (id: string, name: string) => {
    if (!names.has(id) && name.trim().length > 0) names.set(id, name)
  }
  for (const t of artifacts.trajectories) add(t.agent_id, t.name)
  for (const p of artifacts.profiles ?? []) add(p.agent_id, p.name)
  for (const e of artifacts.chatLog) add(e.agent_id, e.agent_name)
  for (const p of artifacts.posts) add(p.agent_id, p.agent_name)
  return names
}

export const nameOf = (names: ReadonlyMap<string, string>, agentId: string) => names.get(agentId) ?? agentId

/** Rounds that left a trace in any artifact; counting distinct rounds works whether rounds start at 0 or 1. */
export const roundsPlayed = (artifacts: ReportArtifacts): number => {
  const rounds = new Set<number>()
  for (const e of artifacts.chatLog) rounds.add(e.round)
  for (const t of artifacts.trajectories) for (const p of t.points) rounds.add(p.round)
  for (const p of artifacts.posts) rounds.add(p.round)
  for (const t of artifacts.trades) rounds.add(t.round)
  return rounds.size
}

export const agentCount = (artifacts: ReportArtifacts): number => {
  const ids = new Set<string>()
  for (const t of artifacts.trajectories) ids.add(t.agent_id)
  for (const p of artifacts.profiles ?? []) ids.add(p.agent_id)
  for (const e of artifacts.chatLog) ids.add(e.agent_id)
  for (const p of artifacts.posts) ids.add(p.agent_id)
  for (const t of artifacts.trades) ids.add(t.agent_id)
  return ids.size
}

export interface Activity {
  readonly agentId: string
  readonly name: string
  readonly actions: number
}

/** Agents by number of non-idle chat-log actions, most first (then by name, then id). */
export const activityByAgent = (
  chatLog: ReadonlyArray<ChatEntry>,
  names: ReadonlyMap<string, string>
): ReadonlyArray<Activity> => {
  const counts = new Map<string, number>()
  for (const e of chatLog) if (e.action !== "idle") counts.set(e.agent_id, (counts.get(e.agent_id) ?? 0) + 1)
  return [...counts].map(([agentId, actions]) => ({ agentId, name: nameOf(names, agentId), actions }))
    .sort((a, b) => b.actions - a.actions || byText(a.name, b.name) || byText(a.agentId, b.agentId))
}

/** Posts by likes, then replies, most first; earlier round and then id break ties. */
export const topPosts = (posts: ReadonlyArray<Post>, limit: number): ReadonlyArray<Post> =>
  [...posts].sort((a, b) => b.likes - a.likes || b.replies - a.replies || a.round - b.round || byText(a.id, b.id))
    .slice(0, limit)

export interface AgentPair {
  readonly a: string
  readonly b: string
}

/**
 * Pairs of agents that follow each other (from the chat log's follow actions), ordered by names. A follow's
 * target may be an agent id or an agent name; both resolve to the id.
 */
export const mutualFollows = (
  chatLog: ReadonlyArray<ChatEntry>,
  names: ReadonlyMap<string, string>
): ReadonlyArray<AgentPair> => {
  const idByName = new Map<string, string>()
  for (const [id, name] of names) if (!idByName.has(name)) idByName.set(name, id)
  const edges = new Set<string>()
  const pairs: Array<AgentPair> = []
  for (const e of chatLog) {
    if (e.action !== "follow" || e.target === undefined || e.target === null) continue
    const target = names.has(e.target) ? e.target : idByName.get(e.target) ?? e.target
    if (target === e.agent_id || edges.has(`${e.agent_id}\u0000${target}`)) continue
    edges.add(`${e.agent_id}\u0000${target}`)
    if (edges.has(`${target}\u0000${e.agent_id}`)) {
      const [a, b] = [e.agent_id, target].sort((x, y) => byText(nameOf(names, x), nameOf(names, y)) || byText(x, y))
      pairs.push({ a: a!, b: b! })
    }
  }
  return pairs.sort((p, q) =>
    byText(nameOf(names, p.a), nameOf(names, q.a)) || byText(nameOf(names, p.b), nameOf(names, q.b)) ||
    byText(p.a, q.a) || byText(p.b, q.b)
  )
}

interface PricePoint {
  readonly round: number
  readonly price: number
}

export interface MarketMove {
  readonly marketId: string
  readonly question: string
  readonly first: PricePoint
  readonly last: PricePoint
  /** last - first */
  readonly change: number
  /** The largest move between two consecutive points (the first one on ties); undefined with one point. */
  readonly steepest: { readonly round: number; readonly change: number } | undefined
}

/** How each market's YES price moved, in file order; curves without points are left out. */
export const marketMoves = (curves: ReadonlyArray<MarketCurve>): ReadonlyArray<MarketMove> =>
  curves.flatMap((curve) => {
    const points = [...curve.points].sort((a, b) => a.round - b.round).map((p) => ({ round: p.round, price: p.price_yes }))
    const first = points[0]
    const last = points[points.length - 1]
    if (first === undefined || last === undefined) return []
    let steepest: MarketMove["steepest"]
    for (let i = 1; i < points.length; i++) {
      const change = points[i]!.price - points[i - 1]!.price
      if (steepest === undefined || Math.abs(change) > Math.abs(steepest.change)) {
        steepest = { round: points[i]!.round, change }
      }
    }
    return [{ marketId: curve.market_id, question: curve.question, first, last, change: last.price - first.price, steepest }]
  })

/**
 * Price curves rebuilt from the trades of markets that have no uploaded curve (first trade's price before, then
 * each trade's price after), so a report can still say where such a market closed. Their question is unknown ("").
 */
export const curvesFromTrades = (
  trades: ReadonlyArray<Trade>,
  curves: ReadonlyArray<MarketCurve>
): ReadonlyArray<MarketCurve> => {
  const known = new Set(curves.map((c) => c.market_id))
  const rebuilt = new Map<string, Array<{ round: number; price_yes: number }>>()
  for (const t of [...trades].sort((a, b) => a.round - b.round)) {
    if (known.has(t.market_id)) continue
    const points = rebuilt.get(t.market_id) ?? [{ round: t.round, price_yes: t.price_before }]
    points.push({ round: t.round, price_yes: t.price_after })
    rebuilt.set(t.market_id, points)
  }
  return [...rebuilt].sort(([a], [b]) => byText(a, b)).map(([market_id, points]) => ({ market_id, question: "", points }))
}

/** The move with the largest absolute change (the earliest on ties), among curves with at least two points. */
export const biggestMove = (moves: ReadonlyArray<MarketMove>): MarketMove | undefined =>
  moves.filter((m) => m.steepest !== undefined)
    .reduce<MarketMove | undefined>((best, m) => best === undefined || Math.abs(m.change) > Math.abs(best.change) ? m : best, undefined)

/** The trade that moved a market's price most (the earliest on ties). */
export const biggestTrade = (trades: ReadonlyArray<Trade>, marketId: string): Trade | undefined =>
  trades.filter((t) => t.market_id === marketId).reduce<Trade | undefined>(
    (best, t) =>
      best === undefined || Math.abs(t.price_after - t.price_before) > Math.abs(best.price_after - best.price_before)
        ? t
        : best,
    undefined
  )

export const sharesBySide = (trades: ReadonlyArray<Trade>, marketId: string) => {
  let yes = 0
  let no = 0
  for (const t of trades) {
    if (t.market_id !== marketId) continue
    if (t.side === "YES") yes += t.shares
    else no += t.shares
  }
  return { yes, no }
}

export interface BeliefShift {
  readonly agentId: string
  readonly name: string
  readonly first: number
  readonly last: number
  readonly change: number
}

/** Each agent's belief in `marketId` at its first and last recorded point, largest shift first (then by name). */
export const beliefShifts = (
  trajectories: ReadonlyArray<AgentTrajectory>,
  marketId: string,
  names: ReadonlyMap<string, string>
): ReadonlyArray<BeliefShift> =>
  trajectories.flatMap((t) => {
    const beliefs = [...t.points].sort((a, b) => a.round - b.round).flatMap((p) => {
      const belief = p.beliefs[marketId]
      return belief === undefined ? [] : [belief]
    })
    const first = beliefs[0]
    const last = beliefs[beliefs.length - 1]
    if (first === undefined || last === undefined) return []
    return [{ agentId: t.agent_id, name: nameOf(names, t.agent_id), first, last, change: last - first }]
  }).sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || byText(a.name, b.name) || byText(a.agentId, b.agentId))

/** How many profiles hold each stance (trimmed, lowercase), most common first, alphabetical on ties. */
export const stanceCounts = (
  profiles: ReadonlyArray<Profile>
): ReadonlyArray<{ readonly stance: string; readonly count: number }> => {
  const counts = new Map<string, number>()
  for (const p of profiles) {
    const stance = p.stance.trim().toLowerCase()
    if (stance.length > 0) counts.set(stance, (counts.get(stance) ?? 0) + 1)
  }
  return [...counts].map(([stance, count]) => ({ stance, count })).sort((a, b) => b.count - a.count || byText(a.stance, b.stance))
}
