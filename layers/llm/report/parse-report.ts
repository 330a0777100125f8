/**
 * Reading a report's markdown into its structured parts (`docs/lifecycle.md`, "The report"). Both report writers, the
 * offline one and the LLM-backed one, produce markdown and run it through `readReport`, so the structured result and
 * the key insight come from one code path. Model output varies, so the parser is lenient: missing sections give empty
 * values, CRLF and stray whitespace are accepted, heading names are matched ignoring case.
 */
import type { WrittenReport } from "../../../services/report-writer.ts"
import { type Finding, type ReportSections, type SimulationParts, slotHeading } from "../../../src/domain/report.ts"
import { cutAtWord, oneLine } from "./report-text.ts"

const maxFindings = 4
const maxVerdictLength = 400
const maxKeyInsightLength = 200

interface Heading {
  readonly level: number
  readonly text: string
}

/** An ATX heading (`## Title`, optional closing `#`s, up to three leading spaces), or undefined. */
const heading = (line: string): Heading | undefined => {
  const match = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/.exec(line)
  if (match === null) return undefined
  return { level: match[1]!.length, text: (match[2] ?? "").replace(/(?:^|[ \t]+)#+$/, "").trim() }
}

const lines = (markdown: string) => markdown.replace(/\r\n?/g, "\n").split("\n")

const sectionName = (text: string) => oneLine(text).replace(/:$/, "").toLowerCase()

/**
 * The lines under the first `## <name>` heading, up to the next H1 or H2 (H3 and deeper stay inside);
 * undefined when there is no such section.
 */
const section = (all: ReadonlyArray<string>, name: string): ReadonlyArray<string> | undefined => {
  const wanted = name.toLowerCase()
  const start = all.findIndex((line) => {
    const h = heading(line)
    return h !== undefined && h.level === 2 && sectionName(h.text) === wanted
  })
  if (start < 0) return undefined
  const rest = all.slice(start + 1)
  const end = rest.findIndex((line) => {
    const h = heading(line)
    return h !== undefined && h.level <= 2
  })
  return end < 0 ? rest : rest.slice(0, end)
}

/** Lines without trailing spaces, without leading/trailing blank lines, and at most one blank line in a row. */
const tidy = (block: ReadonlyArray<string>): string =>
  block.map((line) => line.trimEnd()).join("\n").replace(/\n{3,}/g, "\n\n").trim()

/** `_Citation: post p3 by Ada_`, `Citation: ...`, `**Citation:** ...`: the cited text, without emphasis marks. */
const citationLine = /^[_*]*citation\s*:[_*]*\s*(.*?)\s*[_*]*$/i

const finding = (slot: string, title: string, block: ReadonlyArray<string>): Finding => {
  const at = block.findIndex((line) => citationLine.test(line.trim()))
  const cited = at < 0 ? "" : (citationLine.exec(block[at]?.trim() ?? "")?.[1] ?? "").trim()
  return {
    slot,
    title,
    body: tidy(at < 0 ? block : [...block.slice(0, at), ...block.slice(at + 1)]),
    citation: cited.length > 0 ? cited : null
  }
}

/**
 * The `### slot=X — Title` blocks of `## Key Findings`, in order, at most four. A block runs to the next H3 or
 * the end of the section; an H3 that names no slot ends the previous block and is skipped.
 */
const findings = (block: ReadonlyArray<string>): ReadonlyArray<Finding> => {
  const found: Array<Finding> = []
  let current: { readonly slot: string; readonly title: string; readonly lines: Array<string> } | undefined
  const close = () => {
    if (current !== undefined) found.push(finding(current.slot, current.title, current.lines))
    current = undefined
  }
  for (const line of block) {
    const h = heading(line)
    if (h !== undefined && h.level === 3) {
      close()
      const named = slotHeading(h.text)
      if (named !== undefined) current = { ...named, lines: [] }
    } else if (current !== undefined) {
      current.lines.push(line)
    }
  }
  close()
  return found.slice(0, maxFindings)
}

export const parseReport = (markdown: string): ReportSections => {
  const all = lines(markdown)
  const verdict = section(all, "Verdict")
  return {
    brief: tidy(section(all, "Executive Summary") ?? []),
    verdict: cutAtWord(oneLine((verdict ?? []).join(" ")), maxVerdictLength),
    findings: findings(section(all, "Key Findings") ?? [])
  }
}

/**
 * The one-line takeaway shown in job lists: the verdict, else the first report line that is not a heading and is
 * longer than 30 characters, each cut to 200; null when the report has neither.
 */
export const keyInsight = (verdict: string, markdown: string): string | null => {
  const trimmed = verdict.trim()
  if (trimmed.length > 0) return cutAtWord(trimmed, maxKeyInsightLength)
  const line = lines(markdown).map((l) => l.trim()).find((l) => heading(l) === undefined && l.length > 30)
  return line === undefined ? null : cutAtWord(line, maxKeyInsightLength)
}

/**
 * What every report writer returns apart from its token usage: the markdown, its sections joined with the parts
 * built from the artifacts (`structured-result.ts`) into the whole structured result, and the key insight.
 */
export const readReport = (markdown: string, parts: SimulationParts): Omit<WrittenReport, "usage"> => {
  const sections = parseReport(markdown)
  return { markdown, structured: { ...sections, ...parts }, keyInsight: keyInsight(sections.verdict, markdown) }
}
