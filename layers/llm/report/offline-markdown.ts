/**
 * The offline analyst report: deterministic markdown written from the artifacts' story signals, with the sections
 * the LLM writer produces (`# title`, `## Executive Summary`, `## Verdict`, `## Key Findings` with
 * `### slot=X — Title` blocks), so both go through the same parser. No clock, no randomness, stable orders:
 * the same artifacts always give the same bytes.
 */
import type { MarketCurve } from "../../../src/domain/artifacts.ts"
import type { ReportArtifacts } from "./report-artifacts.ts"
import {
  activityByAgent,
  agentCount,
  agentNames,
  beliefShifts,
  biggestMove,
  biggestTrade,
  curvesFromTrades,
  type MarketMove,
  marketMoves,
  mutualFollows,
  nameOf,
  roundsPlayed,
  sharesBySide,
  stanceCounts,
  topPosts
} from "./report-signals.ts"
import { cutAtWord, oneLine } from "./report-text.ts"

export interface OfflineReportInput {
  readonly goal: string
  readonly forecastDays: number
  readonly artifacts: ReportArtifacts
}

const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`

const price = (p: number) => p.toFixed(2)

/** A signed change with two decimals; a change that rounds to zero has no sign. */
const signed = (change: number) => {
  const rounded = Math.round(change * 100) / 100
  return rounded > 0 ? `+${rounded.toFixed(2)}` : rounded < 0 ? rounded.toFixed(2) : "0.00"
}

/** Share counts can be fractional: at most two decimals, no trailing zeros. */
const shares = (n: number) => String(Math.round(n * 100) / 100)

/** User-provided text (names, questions, posts) on one line, so it can never open a heading or a citation. */
const inline = (text: string, max: number) => cutAtWord(oneLine(text), max)

const quoted = (question: string, max: number) => `'${inline(question, max)}'`

const listing = (items: ReadonlyArray<string>) =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`

/** What a closing YES price says about the crowd's expectation. */
const lean = (p: number) =>
  p >= 0.8
    ? "strongly expects yes"
    : p >= 0.6
    ? "leans yes"
    : p > 0.4
    ? "is split"
    : p > 0.2
    ? "leans no"
    : "strongly expects no"

const title = (goal: string) => {
  const text = inline(goal, 120)
  return text.length > 0 ? text : "Simulation report"
}

interface Facts {
  readonly input: OfflineReportInput
  readonly names: ReadonlyMap<string, string>
  readonly rounds: number
  readonly agents: number
  /** The uploaded curves, then curves rebuilt from trades for markets that have none. */
  readonly curves: ReadonlyArray<MarketCurve>
  readonly moves: ReadonlyArray<MarketMove>
  /** Markets whose prices were rebuilt from trades because no curve was uploaded. */
  readonly rebuilt: ReadonlySet<string>
}

/** A market by its question, or by its id when the question is unknown (a curve rebuilt from trades). */
const marketName = (move: { readonly marketId: string; readonly question: string }, max: number) =>
  move.question.trim().length > 0 ? quoted(move.question, max) : inline(move.marketId, 40)

const summary = ({ input: { artifacts }, curves, moves, names, rebuilt, rounds, agents }: Facts): string => {
  const replies = artifacts.posts.filter((p) => p.reply_to !== null).length
  const paragraphs = [
    `The simulation ran ${count(rounds, "round")} with ${count(agents, "agent")}. They wrote ${
      count(artifacts.posts.length, "post")
    } (${count(replies, "reply", "replies")}) and made ${count(artifacts.trades.length, "trade")}.`
  ]
  const active = activityByAgent(artifacts.chatLog, names).slice(0, 3)
  paragraphs.push(
    active.length === 0
      ? "No agent took an action beyond idling."
      : `Most active agents: ${active.map((a) => `${inline(a.name, 60)} (${count(a.actions, "action")})`).join(", ")}.`
  )
  if (curves.length > 0) {
    const lines = curves.map((curve) => {
      const id = inline(curve.market_id, 40)
      const move = moves.find((m) => m.marketId === curve.market_id)
      const traded = count(artifacts.trades.filter((t) => t.market_id === curve.market_id).length, "trade")
      const name = rebuilt.has(curve.market_id)
        ? `${id} (no price curve uploaded; prices from its trades)`
        : `${quoted(curve.question, 200)} (${id})`
      return move === undefined
        ? `- ${name} has no price points.`
        : `- ${name} moved from ${price(move.first.price)} YES in round ${move.first.round} to ${
          price(move.last.price)
        } YES in round ${move.last.round} (${signed(move.change)}) on ${traded}.`
    })
    paragraphs.push(["Markets:", ...lines].join("\n"))
  } else {
    paragraphs.push("No prediction market was traded.")
  }
  return paragraphs.join("\n\n")
}

const verdict = ({ input, names, rounds, agents, moves }: Facts): string => {
  const window = `the ${input.forecastDays}-day forecast window`
  const [only, ...others] = moves
  if (only !== undefined && others.length === 0) {
    return `Market ${marketName(only, 120)} closed at ${price(only.last.price)} YES after ${
      count(rounds, "round")
    }: the simulated crowd ${lean(only.last.price)} over ${window}.`
  }
  if (only !== undefined) {
    // The most decisive markets first; at most three, so the verdict stays within the parser's 400 characters.
    const ranked = [...moves].sort((a, b) => Math.abs(b.last.price - 0.5) - Math.abs(a.last.price - 0.5))
    const shown = ranked.slice(0, 3).map((m) =>
      `${lean(m.last.price)} on ${marketName(m, 60)} (${price(m.last.price)} YES)`
    )
    const more = ranked.length - shown.length
    return `After ${count(rounds, "round")}, over ${window}, the simulated crowd ${listing(shown)}${
      more > 0 ? `; ${count(more, "more market")} in the summary.` : "."
    }`
  }
  if (agents === 0) return "The simulation recorded no agent activity, so there is nothing to judge."
  const engaged = activityByAgent(input.artifacts.chatLog, names).slice(0, 2).map((a) => inline(a.name, 60))
  const lead = engaged.length === 0 ? "no agent acted" : `the most engaged agents were ${listing(engaged)}`
  const profiles = input.artifacts.profiles ?? []
  const [top, second] = stanceCounts(profiles)
  const span = `over ${count(rounds, "round")}`
  if (top === undefined) {
    return `With no market to trade, ${count(rounds, "round")} of discussion among ${
      count(agents, "agent")
    } settled nothing measurable; ${lead}.`
  }
  if (second !== undefined && second.count === top.count) {
    const split = stanceCounts(profiles).slice(0, 4).map((s) => `${s.count} ${inline(s.stance, 40)}`)
    return `With no market to trade, no stance prevailed ${span} (${split.join(", ")}); ${lead}.`
  }
  return `With no market to trade, the ${inline(top.stance, 40)} stance dominated (${top.count} of ${
    count(profiles.length, "agent")
  }) ${span}; ${lead}.`
}

interface Block {
  readonly slot: string
  readonly title: string
  readonly body: string
  readonly citation?: string
}

const momentum = ({ input: { artifacts }, names, moves }: Facts): Block | undefined => {
  const move = biggestMove(moves)
  if (move === undefined) return undefined
  const { yes, no } = sharesBySide(artifacts.trades, move.marketId)
  const trade = biggestTrade(artifacts.trades, move.marketId)
  return {
    slot: "momentum",
    title: `Biggest price move: ${marketName(move, 80)}`,
    body: [
      `The YES price went from ${price(move.first.price)} in round ${move.first.round} to ${price(move.last.price)} in round ${move.last.round} (${
        signed(move.change)
      }).`,
      ...(move.steepest === undefined ? [] : [
        `The steepest step was ${signed(move.steepest.change)} in round ${move.steepest.round}.`
      ]),
      `Traders bought ${shares(yes)} YES and ${shares(no)} NO shares on this market.`
    ].join(" "),
    ...(trade === undefined ? {} : {
      citation: `trade by ${inline(nameOf(names, trade.agent_id), 60)} in round ${trade.round} (${trade.side}, ${
        shares(trade.shares)
      } shares, ${price(trade.price_before)} -> ${price(trade.price_after)})`
    })
  }
}

const voices = ({ input: { artifacts }, names }: Facts): Block | undefined => {
  const top = topPosts(artifacts.posts, 3)
  const [first] = top
  if (first === undefined) return undefined
  const author = (agentId: string, fallback: string) => inline(names.get(agentId) ?? fallback, 60)
  return {
    slot: "voices",
    title: "Most-liked posts",
    body: top.map((p) =>
      `- ${author(p.agent_id, p.agent_name)} (round ${p.round}, ${count(p.likes, "like")}, ${
        count(p.replies, "reply", "replies")
      }): "${inline(p.text, 160)}"`
    ).join("\n"),
    citation: `post ${inline(first.id, 40)} by ${author(first.agent_id, first.agent_name)}`
  }
}

const coalitions = ({ input: { artifacts }, names }: Facts): Block | undefined => {
  const pairs = mutualFollows(artifacts.chatLog, names)
  if (pairs.length === 0) return undefined
  const shown = pairs.slice(0, 6).map((p) =>
    `- ${inline(nameOf(names, p.a), 60)} and ${inline(nameOf(names, p.b), 60)}`
  )
  return {
    slot: "coalitions",
    title: "Agents who follow each other",
    body: [
      `${count(pairs.length, "pair")} of agents ${pairs.length === 1 ? "follows" : "follow"} each other:`,
      ...shown,
      ...(pairs.length > shown.length ? [`- and ${count(pairs.length - shown.length, "more pair")}`] : [])
    ].join("\n")
  }
}

/**
 * Belief shifts on the market that moved most (or the first one). Dissenters are agents whose belief moved away
 * from the closing price, the crowd's consensus: an agent converging on the price from above is not dissenting
 * even though its belief fell while the price rose.
 */
const dissent = ({ input: { artifacts }, names, moves }: Facts): Block | undefined => {
  const market = biggestMove(moves) ?? moves[0]
  if (market === undefined) return undefined
  const shifts = beliefShifts(artifacts.trajectories, market.marketId, names)
  if (shifts.length === 0) return undefined
  const close = market.last.price
  const drift = (s: (typeof shifts)[number]) => Math.abs(s.last - close) - Math.abs(s.first - close)
  const against = shifts.filter((s) => Math.round(drift(s) * 100) > 0)
  const line = (s: (typeof shifts)[number]) =>
    `- ${inline(s.name, 60)}: ${price(s.first)} -> ${price(s.last)} (${signed(s.change)})`
  const name = marketName(market, 80)
  if (against.length > 0) {
    return {
      slot: "dissent",
      title: `Against the crowd on ${name}`,
      body: [
        `The market closed at ${price(close)} YES; ${count(against.length, "agent")} moved away from it:`,
        ...against.slice(0, 3).map(line)
      ].join("\n")
    }
  }
  return {
    slot: "dissent",
    title: `Biggest belief shifts on ${name}`,
    body: [
      `Every agent moved toward the closing price of ${price(close)} YES or held; the largest shifts:`,
      ...shifts.slice(0, 3).map(line)
    ].join("\n")
  }
}

const findingBlock = (b: Block) =>
  [`### slot=${b.slot} — ${b.title}`, "", b.body, ...(b.citation === undefined ? [] : ["", `_Citation: ${b.citation}_`])]
    .join("\n")

export const offlineReportMarkdown = (input: OfflineReportInput): string => {
  const { artifacts } = input
  const uploaded = artifacts.marketCurves ?? []
  const rebuilt = curvesFromTrades(artifacts.trades, uploaded)
  const curves = [...uploaded, ...rebuilt]
  const facts: Facts = {
    input,
    names: agentNames(artifacts),
    rounds: roundsPlayed(artifacts),
    agents: agentCount(artifacts),
    curves,
    moves: marketMoves(curves),
    rebuilt: new Set(rebuilt.map((c) => c.market_id))
  }
  const blocks = [momentum(facts), voices(facts), coalitions(facts), dissent(facts)].filter((b) => b !== undefined)
  return [
    `# ${title(input.goal)}`,
    "_Offline analysis: written from the simulation's artifacts without a language model._",
    "## Executive Summary",
    summary(facts),
    "## Verdict",
    verdict(facts),
    "## Key Findings",
    blocks.length === 0
      ? "The simulation produced no price moves, posts, mutual follows or belief shifts to report."
      : blocks.map(findingBlock).join("\n\n")
  ].join("\n\n") + "\n"
}
