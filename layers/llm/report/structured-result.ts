/**
 * The six parts of the report's structured result that come from the simulation's artifacts rather than from the
 * report's prose (`src/domain/report.ts`, `docs/lifecycle.md` "The report"): who the stakeholders are and where they
 * ended up, which coalitions formed, where the story turned, what was said that people quoted, where the crowd split
 * and how big it all was. Both report writers add them to what they parse from their markdown, so a model cannot
 * misreport a number here. Pure and deterministic: every ordering has a tie-breaker, every number is rounded.
 */
import type { MarketCurve, Post } from "../../../src/domain/artifacts.ts"
import type {
  DisagreementAxis,
  NamedCoalition,
  PhaseBoundary,
  QuotablePost,
  SimScale,
  SimulationParts,
  StakeholderPosition
} from "../../../src/domain/report.ts"
import type { ReportArtifacts } from "./report-artifacts.ts"
import { agentCount, agentNames, curvesFromTrades, nameOf, roundsPlayed } from "./report-signals.ts"
import { cutAtWord, oneLine } from "./report-text.ts"

/** How many of each part are kept. */
export const structuredLimits = {
  stakeholders: 8,
  coalitions: 5,
  coalitionMembers: 12,
  phaseBoundaries: 5,
  quotablePosts: 5,
  quotableText: 500,
  sideMembers: 8
} as const

/**
 * A market's largest one-round move is a turn of the story when it is at least half a cent and at least twice the
 * market's median move: how far prices travel depends on the market maker's liquidity (which grows with the number
 * of agents), so only a move that stands out from its own market's moves says something.
 */
const minPriceMove = 0.005
const minPriceMoveOverMedian = 2
/** An activity change counts when it is at least this many actions and this share of the round before. */
const minActivityChange = 2
const minActivityShare = 0.3

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const round4 = (x: number) => Math.round(x * 10_000) / 10_000
const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`
const inline = (text: string, max: number) => cutAtWord(oneLine(text), max)
const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

export interface StructuredResultInput {
  readonly artifacts: ReportArtifacts
  readonly forecastDays: number
}

/** What the parts are built from, computed once. */
interface Facts {
  readonly artifacts: ReportArtifacts
  readonly names: ReadonlyMap<string, string>
  /** Trimmed, lowercase; agents without a profile or with a blank stance have none. */
  readonly stances: ReadonlyMap<string, string>
  readonly personas: ReadonlyMap<string, string>
  /** Non-idle chat-log actions per agent. */
  readonly actions: ReadonlyMap<string, number>
  /** Uploaded curves, then curves rebuilt from the trades of markets without one. */
  readonly curves: ReadonlyArray<MarketCurve>
  /** Curve markets in file order, then markets only seen in beliefs, by id. */
  readonly marketIds: ReadonlyArray<string>
  /** Agent id -> market id -> first and final belief. */
  readonly beliefs: ReadonlyMap<string, ReadonlyMap<string, { readonly first: number; readonly final: number }>>
}

const facts = (artifacts: ReportArtifacts): Facts => {
  const names = agentNames(artifacts)
  const stances = new Map<string, string>()
  const personas = new Map<string, string>()
  for (const p of artifacts.profiles ?? []) {
    const stance = p.stance.trim().toLowerCase()
    if (stance.length > 0 && !stances.has(p.agent_id)) stances.set(p.agent_id, stance)
    if (p.persona.trim().length > 0 && !personas.has(p.agent_id)) personas.set(p.agent_id, p.persona.trim())
  }
  const actions = new Map<string, number>()
  for (const e of artifacts.chatLog) if (e.action !== "idle") actions.set(e.agent_id, (actions.get(e.agent_id) ?? 0) + 1)

  const uploaded = artifacts.marketCurves ?? []
  const curves = [...uploaded, ...curvesFromTrades(artifacts.trades, uploaded)]
  const beliefs = new Map<string, Map<string, { first: number; final: number }>>()
  for (const t of artifacts.trajectories) {
    const held = beliefs.get(t.agent_id) ?? new Map<string, { first: number; final: number }>()
    for (const point of [...t.points].sort((a, b) => a.round - b.round)) {
      for (const [marketId, belief] of Object.entries(point.beliefs)) {
        const seen = held.get(marketId)
        held.set(marketId, { first: seen?.first ?? belief, final: belief })
      }
    }
    beliefs.set(t.agent_id, held)
  }
  const curveIds = curves.map((c) => c.market_id)
  const beliefIds = [...new Set([...beliefs.values()].flatMap((held) => [...held.keys()]))]
    .filter((id) => !curveIds.includes(id))
    .sort(byText)
  return {
    artifacts,
    names,
    stances,
    personas,
    actions,
    curves,
    marketIds: [...new Set(curveIds), ...beliefIds],
    beliefs
  }
}

// -- stakeholder positions -----------------------------------------------------------------------------------------

const stakeholderPositions = (f: Facts): ReadonlyArray<StakeholderPosition> => {
  const { artifacts, names } = f
  const ids = new Set<string>([...names.keys(), ...f.actions.keys(), ...artifacts.trades.map((t) => t.agent_id)])
  const posts = new Map<string, number>()
  const likes = new Map<string, number>()
  for (const p of artifacts.posts) {
    posts.set(p.agent_id, (posts.get(p.agent_id) ?? 0) + 1)
    likes.set(p.agent_id, (likes.get(p.agent_id) ?? 0) + p.likes)
  }
  const trades = new Map<string, number>()
  for (const t of artifacts.trades) trades.set(t.agent_id, (trades.get(t.agent_id) ?? 0) + 1)
  return [...ids]
    .map((id): StakeholderPosition => {
      const held = f.beliefs.get(id)
      return {
        agent_id: id,
        name: nameOf(names, id),
        stance: f.stances.get(id) ?? null,
        persona: f.personas.get(id) ?? null,
        actions: f.actions.get(id) ?? 0,
        posts: posts.get(id) ?? 0,
        trades: trades.get(id) ?? 0,
        likes: likes.get(id) ?? 0,
        beliefs: f.marketIds.flatMap((marketId) => {
          const b = held?.get(marketId)
          return b === undefined
            ? []
            : [{ market_id: marketId, first: round4(b.first), final: round4(b.final), shift: round4(b.final - b.first) }]
        })
      }
    })
    .sort((a, b) =>
      b.actions - a.actions || b.posts - a.posts || b.likes - a.likes || byText(a.name, b.name) ||
      byText(a.agent_id, b.agent_id)
    )
    .slice(0, structuredLimits.stakeholders)
}

// -- named coalitions ----------------------------------------------------------------------------------------------

interface Edge {
  readonly source: string
  readonly target: string
  readonly kind: "follow" | "reply"
}

/** The social graph's edges, or, without it, follows from the chat log and replies from the posts. */
const socialEdges = (f: Facts): ReadonlyArray<Edge> => {
  const { artifacts, names } = f
  if (artifacts.socialGraph !== undefined) return artifacts.socialGraph.edges
  const idByName = new Map<string, string>()
  for (const [id, name] of names) if (!idByName.has(name)) idByName.set(name, id)
  const follows = artifacts.chatLog.flatMap((e): Array<Edge> => {
    if (e.action !== "follow" || e.target === undefined || e.target === null) return []
    const target = names.has(e.target) ? e.target : idByName.get(e.target) ?? e.target
    return [{ source: e.agent_id, target, kind: "follow" }]
  })
  const authors = new Map(artifacts.posts.map((p) => [p.id, p.agent_id]))
  const replies = artifacts.posts.flatMap((p): Array<Edge> => {
    const parent = p.reply_to === null ? undefined : authors.get(p.reply_to)
    return parent === undefined ? [] : [{ source: p.agent_id, target: parent, kind: "reply" }]
  })
  return [...follows, ...replies]
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`)

/**
 * Ties between two agents: they follow each other, or one follows or replies to the other and both hold the same
 * stance. A reply alone binds nobody across stances: in the simulation agents reply most to the posts they disagree
 * with, so a reply is as often an argument as an alliance.
 */
const ties = (f: Facts): ReadonlyArray<readonly [string, string]> => {
  const edges = socialEdges(f).filter((e) => e.source !== e.target)
  const follows = new Set(edges.filter((e) => e.kind === "follow").map((e) => `${e.source}\u0000${e.target}`))
  const found = new Map<string, readonly [string, string]>()
  for (const { source, target, kind } of edges) {
    const stance = f.stances.get(source)
    const mutualFollow = kind === "follow" && follows.has(`${target}\u0000${source}`)
    const alike = stance !== undefined && stance === f.stances.get(target)
    if (mutualFollow || alike) found.set(pairKey(source, target), source < target ? [source, target] : [target, source])
  }
  return [...found.values()]
}

const namedCoalitions = (f: Facts): ReadonlyArray<NamedCoalition> => {
  const pairs = ties(f)
  const parent = new Map<string, string>()
  const root = (x: string): string => {
    let r = x
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!
    parent.set(x, r)
    return r
  }
  for (const [a, b] of pairs) {
    const [ra, rb] = [root(a), root(b)]
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb)
  }
  const degree = new Map<string, number>()
  for (const [a, b] of pairs) for (const x of [a, b]) degree.set(x, (degree.get(x) ?? 0) + 1)
  const groups = new Map<string, Array<string>>()
  for (const x of degree.keys()) {
    const group = groups.get(root(x))
    if (group === undefined) groups.set(root(x), [x])
    else group.push(x)
  }
  const tiesIn = new Map<string, number>()
  for (const [a] of pairs) tiesIn.set(root(a), (tiesIn.get(root(a)) ?? 0) + 1)

  return [...groups].map(([r, ids]): NamedCoalition => {
    const members = ids.sort((a, b) =>
      (degree.get(b) ?? 0) - (degree.get(a) ?? 0) || (f.actions.get(b) ?? 0) - (f.actions.get(a) ?? 0) ||
      byText(nameOf(f.names, a), nameOf(f.names, b)) || byText(a, b)
    )
    const counts = new Map<string, number>()
    for (const id of members) {
      const stance = f.stances.get(id)
      if (stance !== undefined) counts.set(stance, (counts.get(stance) ?? 0) + 1)
    }
    const stances = [...counts].map(([stance, n]) => ({ stance, count: n }))
      .sort((a, b) => b.count - a.count || byText(a.stance, b.stance))
    const [top, second] = stances
    const stance = top !== undefined && (second === undefined || second.count < top.count) ? top.stance : null
    const hub = inline(nameOf(f.names, members[0]!), 60)
    const name = stance !== null
      ? `${capitalized(inline(stance, 40))} bloc around ${hub}`
      : stances.length > 0
      ? `Mixed bloc around ${hub}`
      : `Bloc around ${hub}`
    return {
      name,
      stance,
      size: members.length,
      members: members.slice(0, structuredLimits.coalitionMembers).map((id) => ({ agent_id: id, name: nameOf(f.names, id) })),
      stances,
      ties: tiesIn.get(r) ?? 0,
      mean_beliefs: f.marketIds.flatMap((marketId) => {
        const finals = members.flatMap((id) => {
          const b = f.beliefs.get(id)?.get(marketId)
          return b === undefined ? [] : [b.final]
        })
        return finals.length === 0 ? [] : [{ market_id: marketId, mean: round4(finals.reduce((s, x) => s + x, 0) / finals.length) }]
      })
    }
  })
    .sort((a, b) => b.size - a.size || b.ties - a.ties || byText(a.name, b.name))
    .slice(0, structuredLimits.coalitions)
}

// -- phase boundaries ----------------------------------------------------------------------------------------------

interface Candidate {
  readonly boundary: PhaseBoundary
  /** Larger is more telling, within its kind. */
  readonly weight: number
}

const marketLabel = (f: Facts, marketId: string) => {
  const question = f.curves.find((c) => c.market_id === marketId)?.question.trim() ?? ""
  return question.length > 0 ? `'${inline(question, 80)}'` : inline(marketId, 40)
}

/**
 * The trade that moved `marketId` most in `round` in the direction of `change`, said in a few words; "" when there was
 * none (a move is never said to be led by a trade against it).
 */
const ledBy = (f: Facts, marketId: string, round: number, change: number) => {
  const trade = f.artifacts.trades
    .filter((t) => t.market_id === marketId && t.round === round && (t.price_after - t.price_before) * change > 0)
    .reduce<(typeof f.artifacts.trades)[number] | undefined>(
      (best, t) =>
        best === undefined || Math.abs(t.price_after - t.price_before) > Math.abs(best.price_after - best.price_before) ? t : best,
      undefined
    )
  if (trade === undefined) return ""
  const shares = String(Math.round(trade.shares * 100) / 100)
  return `, led by ${inline(nameOf(f.names, trade.agent_id), 60)}'s ${shares}-share ${trade.side} trade`
}

/** Two prices and their difference, with a third decimal when two would hide the move. */
const priceStep = (from: number, to: number) => {
  const digits = Math.abs(to - from) < 0.01 ? 3 : 2
  const change = Math.round((to - from) * 10 ** digits) / 10 ** digits
  const sign = change > 0 ? "+" : change < 0 ? "-" : ""
  return { from: from.toFixed(digits), to: to.toFixed(digits), change: `${sign}${Math.abs(change).toFixed(digits)}` }
}

/** Lead changes (the YES price crossing 0.5) and each market's largest one-round move. */
const priceCandidates = (f: Facts) => {
  const leads: Array<Candidate> = []
  const moves: Array<Candidate> = []
  for (const curve of f.curves) {
    const points = [...curve.points].sort((a, b) => a.round - b.round)
    let side = 0
    let steepest: { readonly round: number; readonly from: number; readonly to: number } | undefined
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!
      const now = Math.sign(round4(point.price_yes - 0.5))
      const before = points[i - 1]
      if (before !== undefined) {
        const change = point.price_yes - before.price_yes
        const step = priceStep(before.price_yes, point.price_yes)
        if (now !== 0 && side !== 0 && now !== side) {
          leads.push({
            weight: Math.abs(change),
            boundary: {
              round: point.round,
              kind: "lead_change",
              label: now > 0 ? "YES takes the lead" : "NO takes the lead",
              description: `${marketLabel(f, curve.market_id)} crossed 0.50: ${step.from} -> ${step.to} YES in round ${point.round}${
                ledBy(f, curve.market_id, point.round, change)
              }.`,
              market_id: curve.market_id
            }
          })
        }
        if (steepest === undefined || Math.abs(change) > Math.abs(steepest.to - steepest.from)) {
          steepest = { round: point.round, from: before.price_yes, to: point.price_yes }
        }
      }
      if (now !== 0) side = now
    }
    const steps = points.slice(1).map((p, i) => Math.abs(p.price_yes - points[i]!.price_yes)).sort((a, b) => a - b)
    const median = steps.length === 0 ? 0 : steps[Math.floor((steps.length - 1) / 2)]!
    const size = steepest === undefined ? 0 : Math.abs(steepest.to - steepest.from)
    if (steepest !== undefined && size >= minPriceMove && size >= minPriceMoveOverMedian * median) {
      const change = steepest.to - steepest.from
      const step = priceStep(steepest.from, steepest.to)
      moves.push({
        weight: Math.abs(change),
        boundary: {
          round: steepest.round,
          kind: "price_move",
          label: change > 0 ? "Biggest move toward YES" : "Biggest move toward NO",
          description: `${marketLabel(f, curve.market_id)} moved ${step.from} -> ${step.to} YES (${step.change}) in round ${steepest.round}${
            ledBy(f, curve.market_id, steepest.round, change)
          }, its largest one-round move.`,
          market_id: curve.market_id
        }
      })
    }
  }
  return { leads, moves }
}

const actionNouns: Record<string, readonly [string, string]> = {
  post: ["post", "posts"],
  reply: ["reply", "replies"],
  follow: ["follow", "follows"],
  trade: ["trade", "trades"]
}

/** The largest rise and the largest fall in actions from one round to the next, when they are large enough. */
const activityCandidates = (f: Facts): Array<Candidate> => {
  const perRound = new Map<number, Map<string, number>>()
  for (const e of f.artifacts.chatLog) {
    const kinds = perRound.get(e.round) ?? new Map<string, number>()
    if (e.action !== "idle") kinds.set(e.action, (kinds.get(e.action) ?? 0) + 1)
    perRound.set(e.round, kinds)
  }
  const total = (kinds: ReadonlyMap<string, number> | undefined) => [...(kinds ?? new Map()).values()].reduce((s, n) => s + n, 0)
  const rounds = [...perRound.keys()].sort((a, b) => a - b)
  let rise: { round: number; from: number; to: number } | undefined
  let fall: { round: number; from: number; to: number } | undefined
  for (let i = 1; i < rounds.length; i++) {
    const from = total(perRound.get(rounds[i - 1]!))
    const to = total(perRound.get(rounds[i]!))
    const step = { round: rounds[i]!, from, to }
    if (to - from > (rise === undefined ? 0 : rise.to - rise.from)) rise = step
    if (from - to > (fall === undefined ? 0 : fall.from - fall.to)) fall = step
  }
  const telling = (s: { from: number; to: number }) =>
    Math.abs(s.to - s.from) >= minActivityChange && Math.abs(s.to - s.from) >= minActivityShare * Math.max(1, s.from)
  const breakdown = (round: number) =>
    [...(perRound.get(round) ?? new Map<string, number>())]
      .sort(([a, x], [b, y]) => y - x || byText(a, b))
      .map(([kind, n]) => count(n, ...(actionNouns[kind] ?? [kind, `${kind}s`])))
      .join(", ")
  const candidate = (s: { round: number; from: number; to: number }, up: boolean): Candidate => ({
    weight: Math.abs(s.to - s.from) / Math.max(1, s.from),
    boundary: {
      round: s.round,
      kind: up ? "activity_surge" : "activity_drop",
      label: up ? "Activity surge" : "Activity drops",
      description: `Actions ${up ? "rose" : "fell"} from ${s.from} to ${s.to} in round ${s.round}${
        s.to > 0 ? ` (${breakdown(s.round)})` : ""
      }.`,
      market_id: null
    }
  })
  return [
    ...(rise !== undefined && telling(rise) ? [candidate(rise, true)] : []),
    ...(fall !== undefined && telling(fall) ? [candidate(fall, false)] : [])
  ]
}

/**
 * Up to two lead changes, two price moves (from different markets) and the activity rise and fall, in that order of
 * importance, the strongest of each kind first; one boundary per round and market; at most five, in round order.
 */
const phaseBoundaries = (f: Facts): ReadonlyArray<PhaseBoundary> => {
  const strongest = (candidates: ReadonlyArray<Candidate>, n: number) =>
    [...candidates].sort((a, b) =>
      b.weight - a.weight || a.boundary.round - b.boundary.round ||
      byText(a.boundary.market_id ?? "", b.boundary.market_id ?? "")
    ).slice(0, n)
  const { leads, moves } = priceCandidates(f)
  const chosen: Array<PhaseBoundary> = []
  const seen = new Set<string>()
  for (const c of [...strongest(leads, 2), ...strongest(moves, 2), ...strongest(activityCandidates(f), 2)]) {
    const key = `${c.boundary.round}\u0000${c.boundary.market_id ?? ""}`
    if (seen.has(key) || chosen.length >= structuredLimits.phaseBoundaries) continue
    seen.add(key)
    chosen.push(c.boundary)
  }
  return chosen.sort((a, b) => a.round - b.round || byText(a.market_id ?? "", b.market_id ?? ""))
}

// -- quotable posts ------------------------------------------------------------------------------------------------

/** Posts by engagement (likes + replies), then likes; earlier round and then id break ties. */
const quotablePosts = (f: Facts): ReadonlyArray<QuotablePost> =>
  [...f.artifacts.posts]
    .sort((a: Post, b: Post) =>
      b.likes + b.replies - (a.likes + a.replies) || b.likes - a.likes || a.round - b.round || byText(a.id, b.id)
    )
    .slice(0, structuredLimits.quotablePosts)
    .map((p) => ({
      post_id: p.id,
      agent_id: p.agent_id,
      agent_name: f.names.get(p.agent_id) ?? p.agent_name,
      round: p.round,
      text: cutAtWord(p.text.trim(), structuredLimits.quotableText),
      likes: p.likes,
      replies: p.replies,
      reply_to: p.reply_to
    }))

// -- disagreement axis ---------------------------------------------------------------------------------------------

/**
 * The market whose agents' final beliefs are furthest apart (highest minus lowest; the first market on ties). The
 * sides split at 0.5 when agents stand on both sides of it (some expect YES, some NO); when the whole crowd leans one
 * way they split at the crowd's mean belief instead (the more and the less convinced), so a one-sided crowd still
 * shows who pulls which way. Null without a market anyone held a belief in.
 */
const disagreementAxis = (f: Facts): DisagreementAxis | null => {
  let widest:
    | { readonly marketId: string; readonly finals: ReadonlyArray<{ id: string; belief: number }>; readonly spread: number }
    | undefined
  for (const marketId of f.marketIds) {
    const finals = [...f.beliefs].flatMap(([id, held]) => {
      const b = held.get(marketId)
      return b === undefined ? [] : [{ id, belief: b.final }]
    })
    if (finals.length === 0) continue
    const beliefs = finals.map((x) => x.belief)
    const spread = round4(Math.max(...beliefs) - Math.min(...beliefs))
    if (widest === undefined || spread > widest.spread) widest = { marketId, finals, spread }
  }
  if (widest === undefined) return null
  const { marketId, finals, spread } = widest
  const curve = f.curves.find((c) => c.market_id === marketId)
  const last = curve === undefined ? undefined : [...curve.points].sort((a, b) => a.round - b.round).at(-1)
  const closing = last === undefined ? null : round4(last.price_yes)
  const mean = round4(finals.reduce((s, x) => s + x.belief, 0) / finals.length)
  const splits = (at: number) => finals.some((x) => round4(x.belief) > at) && finals.some((x) => round4(x.belief) < at)
  const pivot = splits(0.5) ? 0.5 : mean
  const member = (x: { id: string; belief: number }) => ({ agent_id: x.id, name: nameOf(f.names, x.id), belief: round4(x.belief) })
  const byName = (a: { id: string }, b: { id: string }) =>
    byText(nameOf(f.names, a.id), nameOf(f.names, b.id)) || byText(a.id, b.id)
  const yes = finals.filter((x) => round4(x.belief) > pivot).sort((a, b) => b.belief - a.belief || byName(a, b))
  const no = finals.filter((x) => round4(x.belief) < pivot).sort((a, b) => a.belief - b.belief || byName(a, b))
  return {
    market_id: marketId,
    question: curve?.question ?? "",
    spread,
    mean,
    closing_price: closing,
    pivot,
    yes_side: yes.slice(0, structuredLimits.sideMembers).map(member),
    no_side: no.slice(0, structuredLimits.sideMembers).map(member),
    yes_count: yes.length,
    no_count: no.length
  }
}

// -- scale ---------------------------------------------------------------------------------------------------------

/** The pod's own engagement counts when it uploaded them, else counted from the required artifacts. */
const simScale = (f: Facts, forecastDays: number): SimScale => {
  const { artifacts } = f
  const counted = artifacts.engagementSummary ?? {
    rounds: roundsPlayed(artifacts),
    agents: agentCount(artifacts),
    posts: artifacts.posts.length,
    replies: artifacts.posts.filter((p) => p.reply_to !== null).length,
    follows: artifacts.chatLog.filter((e) => e.action === "follow").length,
    trades: artifacts.trades.length,
    likes: artifacts.posts.reduce((s, p) => s + p.likes, 0)
  }
  return {
    rounds: counted.rounds,
    agents: counted.agents,
    markets: f.marketIds.length,
    posts: counted.posts,
    replies: counted.replies,
    follows: counted.follows,
    trades: counted.trades,
    likes: counted.likes,
    forecast_days: forecastDays
  }
}

/** The six artifact-built parts of the structured result. */
export const simulationParts = ({ artifacts, forecastDays }: StructuredResultInput): SimulationParts => {
  const f = facts(artifacts)
  return {
    stakeholder_positions: stakeholderPositions(f),
    named_coalitions: namedCoalitions(f),
    phase_boundaries: phaseBoundaries(f),
    quotable_posts: quotablePosts(f),
    disagreement_axis: disagreementAxis(f),
    sim_scale: simScale(f, forecastDays)
  }
}
