/**
 * The prompts of the Anthropic report writer: a system prompt from the goal, the forecast window and the story
 * signals of the artifacts (`docs/lifecycle.md`, "The report"), the opening user turn, and the instruction
 * of the last turn. The format is the one `report/parse-report.ts` reads.
 */
import type { ReportArtifacts } from "../report/report-artifacts.ts"
import {
  activityByAgent,
  agentCount,
  agentNames,
  curvesFromTrades,
  marketMoves,
  mutualFollows,
  nameOf,
  roundsPlayed,
  stanceCounts,
  topPosts
} from "../report/report-signals.ts"
import { cutAtWord, oneLine } from "../report/report-text.ts"

const inline = (text: string, max: number) => cutAtWord(oneLine(text), max)

const reportFormat = [
  "Write the report in markdown with exactly these sections, in this order:",
  "",
  "# <a short title>",
  "## Executive Summary",
  "<two or three paragraphs>",
  "## Verdict",
  "<one sentence of at most 400 characters answering the goal within the forecast window>",
  "## Key Findings",
  "### slot=momentum — <title>",
  "<body>",
  "_Citation: <the post, trade or agent the finding rests on>_",
  "",
  "Use up to 4 findings, each a `### slot=X — Title` block (slots such as momentum, voices, coalitions, dissent)",
  "followed by its body and one `_Citation: ..._` line."
].join("\n")

/** The story signals as short text lines for the system prompt. */
const signalLines = (artifacts: ReportArtifacts): ReadonlyArray<string> => {
  const names = agentNames(artifacts)
  const lines = [
    `- Rounds played: ${roundsPlayed(artifacts)}; agents: ${agentCount(artifacts)}; posts: ${artifacts.posts.length}; trades: ${artifacts.trades.length}.`
  ]
  const active = activityByAgent(artifacts.chatLog, names).slice(0, 5)
  if (active.length > 0) {
    lines.push(`- Most active agents: ${active.map((a) => `${inline(a.name, 60)} (${a.agentId}, ${a.actions} actions)`).join(", ")}.`)
  }
  for (const post of topPosts(artifacts.posts, 3)) {
    lines.push(`- Top post ${post.id} by ${inline(post.agent_name, 60)} (round ${post.round}, ${post.likes} likes): "${inline(post.text, 200)}"`)
  }
  const pairs = mutualFollows(artifacts.chatLog, names)
  if (pairs.length > 0) {
    lines.push(`- Mutual follows: ${pairs.map((p) => `${inline(nameOf(names, p.a), 60)} & ${inline(nameOf(names, p.b), 60)}`).join("; ")}.`)
  }
  const curves = [...(artifacts.marketCurves ?? []), ...curvesFromTrades(artifacts.trades, artifacts.marketCurves ?? [])]
  for (const move of marketMoves(curves)) {
    const question = move.question.length > 0 ? ` '${inline(move.question, 200)}'` : ""
    lines.push(
      `- Market ${move.marketId}${question}: YES ${move.first.price.toFixed(2)} (round ${move.first.round}) -> ${move.last.price.toFixed(2)} (round ${move.last.round}).`
    )
  }
  const stances = stanceCounts(artifacts.profiles ?? [])
  if (stances.length > 0) lines.push(`- Stances: ${stances.map((s) => `${s.count} ${inline(s.stance, 40)}`).join(", ")}.`)
  return lines
}

export const systemPrompt = (input: { readonly goal: string; readonly forecastDays: number; readonly artifacts: ReportArtifacts }) =>
  [
    "You are an analyst writing the report of a social simulation: agents posted, followed each other and traded",
    "binary prediction markets about the goal below. Explain what the simulated crowd concluded and why.",
    "",
    `Goal: ${inline(input.goal.length > 0 ? input.goal : "(none given)", 2000)}`,
    `Forecast window: ${input.forecastDays} days.`,
    "",
    "Story signals computed from the artifacts:",
    ...signalLines(input.artifacts),
    "",
    "Use the tools to read posts, coalitions, agent summaries and belief trajectories before writing. Cite only",
    "what the tools or the signals show; do not invent posts or numbers.",
    "",
    reportFormat
  ].join("\n")

export const openingMessage = "Investigate the simulation with the tools, then write the analyst report."

export const finalTurnMessage =
  "This is the last turn: no more tool calls. Write the final report now, in the required format."
