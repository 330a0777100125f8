/**
 * The analyst report's structured result (`docs/lifecycle.md`, "The report"): the three parts read from the report's
 * markdown (brief, verdict, findings) and the six built from the simulation's artifacts (stakeholder positions,
 * coalitions, phase boundaries, quotable posts, the disagreement axis, the simulation's scale). Pure data, so the
 * report writers, the API and the browser share one definition. Also `readerMarkdown`: the report as readers see it,
 * without the `### slot=X — Title` markup its source carries for the parser.
 */
import { Schema } from "effect"

const doc = <S extends Schema.Top>(schema: S, description: string): S["Rebuild"] => schema.annotate({ description })

/**
 * A count. Not checked for sign: the parts are built from the pod's artifacts, and a stored result that no longer
 * decoded because an artifact held an odd number would make the whole report unreadable.
 */
const Count = Schema.Int
/** A probability of YES, or a mean of them. */
const Probability = Schema.Finite

/** One finding of the report: a `### slot=X — Title` block under `## Key Findings`. */
export const Finding = Schema.Struct({
  slot: doc(Schema.String, "What kind of finding: momentum, voices, coalitions, dissent, or another slot the writer chose"),
  title: Schema.String,
  body: doc(Schema.String, "Markdown"),
  citation: doc(Schema.NullOr(Schema.String), "The post, trade or agent the finding rests on")
})
export type Finding = typeof Finding.Type

/** One agent's belief in one market at its first and last recorded round. */
const MarketBelief = Schema.Struct({
  market_id: Schema.String,
  first: doc(Probability, "Belief that the market resolves YES after the agent's first round"),
  final: doc(Probability, "Belief after the last round"),
  shift: doc(Schema.Finite, "final - first")
})

export const StakeholderPosition = doc(
  Schema.Struct({
    agent_id: Schema.String,
    name: Schema.String,
    stance: doc(Schema.NullOr(Schema.String), "From the agent's profile; null without one"),
    persona: doc(Schema.NullOr(Schema.String), "From the agent's profile; null without one"),
    actions: doc(Count, "Actions other than idling (posts, replies, follows, trades)"),
    posts: doc(Count, "Posts written, replies included"),
    trades: Count,
    likes: doc(Count, "Likes the agent's posts received"),
    beliefs: doc(Schema.Array(MarketBelief), "One entry per market the agent held a belief in")
  }),
  "One of the most active agents (at most 8, most actions first)"
)
export type StakeholderPosition = typeof StakeholderPosition.Type

const AgentRef = Schema.Struct({ agent_id: Schema.String, name: Schema.String })

export const NamedCoalition = doc(
  Schema.Struct({
    name: doc(Schema.String, "From the dominant stance and the best-connected member, e.g. \"Skeptical bloc around Ada\""),
    stance: doc(Schema.NullOr(Schema.String), "The stance most members hold; null on a tie or without profiles"),
    size: Count,
    members: doc(Schema.Array(AgentRef), "Best-connected first"),
    stances: doc(
      Schema.Array(Schema.Struct({ stance: Schema.String, count: Count })),
      "How many members hold each stance, most common first"
    ),
    ties: doc(Count, "Ties between members (see `docs/lifecycle.md`: mutual follows, and follows or replies between agents of one stance)"),
    mean_beliefs: doc(
      Schema.Array(Schema.Struct({ market_id: Schema.String, mean: Probability })),
      "The members' mean final belief in each market"
    )
  }),
  "A group of agents bound by ties (at most 5, largest first)"
)
export type NamedCoalition = typeof NamedCoalition.Type

export const PhaseBoundary = doc(
  Schema.Struct({
    round: Schema.Int,
    kind: doc(
      Schema.Literals(["lead_change", "price_move", "activity_surge", "activity_drop"]),
      "lead_change: a market's YES price crossed 0.5; price_move: a market's largest one-round move; activity_*: the largest rise or fall in actions per round"
    ),
    label: doc(Schema.String, "A few words, e.g. \"YES takes the lead\""),
    description: doc(Schema.String, "One line saying what happened"),
    market_id: doc(Schema.NullOr(Schema.String), "The market that moved; null for activity changes")
  }),
  "A round where the story turns (at most 5, in round order)"
)
export type PhaseBoundary = typeof PhaseBoundary.Type

export const QuotablePost = doc(
  Schema.Struct({
    post_id: Schema.String,
    agent_id: Schema.String,
    agent_name: Schema.String,
    round: Schema.Int,
    text: doc(Schema.String, "The post's text, cut to 500 characters at a word"),
    likes: Count,
    replies: Count,
    reply_to: doc(Schema.NullOr(Schema.String), "The post it answers, for a reply")
  }),
  "One of the most engaging posts (at most 5, by likes + replies)"
)
export type QuotablePost = typeof QuotablePost.Type

const SideMember = Schema.Struct({ agent_id: Schema.String, name: Schema.String, belief: Probability })

export const DisagreementAxis = doc(
  Schema.Struct({
    market_id: Schema.String,
    question: doc(Schema.String, "Empty when the market's question is unknown (no price curve was uploaded)"),
    spread: doc(Probability, "Highest minus lowest final belief among the agents"),
    mean: doc(Probability, "The agents' mean final belief"),
    closing_price: doc(Schema.NullOr(Probability), "The market's last YES price; null without a price curve or trades"),
    pivot: doc(
      Probability,
      "Where the sides split: 0.5 when agents stand on both sides of it, else the mean belief (a crowd leaning one way)"
    ),
    yes_side: doc(Schema.Array(SideMember), "Agents whose final belief is above the pivot, most convinced first (at most 8)"),
    no_side: doc(Schema.Array(SideMember), "Agents whose final belief is below the pivot, most convinced first (at most 8)"),
    yes_count: doc(Count, "All agents above the pivot"),
    no_count: doc(Count, "All agents below the pivot")
  }),
  "The market whose agents' final beliefs diverge most"
)
export type DisagreementAxis = typeof DisagreementAxis.Type

export const SimScale = doc(
  Schema.Struct({
    rounds: Count,
    agents: Count,
    markets: Count,
    posts: doc(Count, "Replies included"),
    replies: Count,
    follows: Count,
    trades: Count,
    likes: Count,
    forecast_days: Count
  }),
  "How big the simulation was"
)
export type SimScale = typeof SimScale.Type

/** The parts read from the report's markdown (`## Executive Summary`, `## Verdict`, `## Key Findings`). */
export const ReportSections = Schema.Struct({
  brief: doc(Schema.String, "The executive summary (markdown)"),
  verdict: doc(Schema.String, "One line answering the goal"),
  findings: doc(Schema.Array(Finding), "At most 4")
})
export type ReportSections = typeof ReportSections.Type

const simulationFields = {
  stakeholder_positions: Schema.Array(StakeholderPosition),
  named_coalitions: Schema.Array(NamedCoalition),
  phase_boundaries: Schema.Array(PhaseBoundary),
  quotable_posts: Schema.Array(QuotablePost),
  disagreement_axis: doc(Schema.NullOr(DisagreementAxis), "Null when the simulation had no market with beliefs"),
  sim_scale: SimScale
}

/** The six parts built from the simulation's artifacts, deterministically. */
export const SimulationParts = Schema.Struct(simulationFields)
export type SimulationParts = typeof SimulationParts.Type

/** What a report writer produces: all nine parts. */
export const FullStructuredReport = Schema.Struct({ ...ReportSections.fields, ...simulationFields })
export type FullStructuredReport = typeof FullStructuredReport.Type

/**
 * The structured result as stored and served. Reports written before the six artifact parts existed have only
 * brief, verdict and findings, so those six are optional keys.
 */
export const StructuredReport = Schema.Struct({
  ...ReportSections.fields,
  stakeholder_positions: Schema.optionalKey(simulationFields.stakeholder_positions),
  named_coalitions: Schema.optionalKey(simulationFields.named_coalitions),
  phase_boundaries: Schema.optionalKey(simulationFields.phase_boundaries),
  quotable_posts: Schema.optionalKey(simulationFields.quotable_posts),
  disagreement_axis: Schema.optionalKey(simulationFields.disagreement_axis),
  sim_scale: Schema.optionalKey(simulationFields.sim_scale)
})
export type StructuredReport = typeof StructuredReport.Type

const slotHeadingPatterns = [
  /^slot\s*[=:]\s*(\S+?)\s+[\u2014\u2013-]+\s+(.*)$/i,
  /^slot\s*[=:]\s*([^\s\u2014\u2013-]+)\s*[\u2014\u2013-]+\s*(.*)$/i,
  /^slot\s*[=:]\s*(\S+)()$/i
]

/**
 * The text of a finding heading, `slot=momentum — Title` (em dash, en dash or hyphens; `slot:` and any letter case
 * too; the slot may be wrapped in backticks or asterisks), as its slot (lowercase) and title; undefined when the text
 * names no slot. The report parser and `readerMarkdown` share it, so what one reads as a finding the other cleans.
 */
export const slotHeading = (text: string): { readonly slot: string; readonly title: string } | undefined => {
  for (const pattern of slotHeadingPatterns) {
    const match = pattern.exec(text)
    if (match !== null) {
      const slot = match[1]!.replace(/^[`*_]+|[`*_]+$/g, "").toLowerCase()
      if (slot.length > 0) return { slot, title: match[2]!.trim() }
    }
  }
  return undefined
}

/** A heading line: its hashes (with up to three leading spaces), its text, and any closing hashes. */
const headingLine = /^( {0,3}#{1,6}[ \t]+)(.*?)([ \t]+#+)?[ \t]*$/

/** `bare` -> `Bare`, `key_voices` -> `Key voices`: the title of a finding heading that has none. */
const slotTitle = (slot: string) => {
  const words = slot.replace(/[-_]+/g, " ").trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/**
 * The report as readers see it: finding headings lose their `slot=X — ` prefix (`### slot=momentum — Late rally`
 * becomes `### Late rally`; a heading with a slot and no title shows the slot as its title), and HTML comments
 * (notes a writer may leave for itself) are dropped. Everything else is kept byte for byte. Idempotent. The stored
 * markdown and `report.md` keep the source form, which the parser reads.
 */
export const readerMarkdown = (markdown: string): string =>
  markdown
    .replace(/<!--[\s\S]*?-->/g, "")
    .split("\n")
    .map((line) => {
      const cr = line.endsWith("\r") ? "\r" : ""
      const match = headingLine.exec(cr === "" ? line : line.slice(0, -1))
      if (match === null) return line
      const named = slotHeading(match[2]!.trim())
      if (named === undefined) return line
      return `${match[1]}${named.title.length > 0 ? named.title : slotTitle(named.slot)}${cr}`
    })
    .join("\n")
