/**
 * A finished job's report as a PDF (`GET /api/jobs/:id/export/pdf`): a title block (the goal, the job id, its
 * dates), the key insight highlighted, the findings as cards, the report body drawn from its markdown, and each
 * market's price curve as a vector chart, with page numbers in the footer. Drawn with pdfkit's standard fonts, so
 * nothing is read from disk and no browser runs; text those fonts cannot encode is transliterated or replaced
 * (`win-ansi.ts`). Rendering is synchronous and pure: the same input gives the same bytes (the document's dates
 * come from the job, not the clock). pdfkit failing is a bug, so it surfaces as a defect.
 */
import { Effect, Option, Schema } from "effect"
import PDFDocument from "pdfkit"
import type { MarketCurve } from "../../domain/artifacts.ts"
import { Finding, readerMarkdown } from "../../domain/report.ts"
import { drawMarketChart } from "./market-chart.ts"
import {
  area,
  bodySize,
  colors,
  type Doc,
  ensureSpace,
  fonts,
  lineGap,
  mark,
  multiLine,
  oneLine,
  pageRoom,
  style,
  verticalBar
} from "./pdf-layout.ts"
import { drawMarkdown } from "./pdf-markdown.ts"

export interface ReportPdfInput {
  readonly jobId: number
  readonly goal: string
  readonly keyInsight: string | null
  /** The report's markdown source (its `### slot=x — Title` headings are shown as just the title). */
  readonly markdown: string
  /**
   * The report's stored structured result (`StructuredReport`), or null: its findings are drawn as cards. Taken as
   * stored JSON and decoded here; a result without readable findings gives no cards (and a warning in the log).
   */
  readonly structured: unknown
  readonly curves: ReadonlyArray<MarketCurve>
  /** ISO 8601 timestamps. */
  readonly createdAt: string
  readonly completedAt: string | null
}

export interface ReportPdfOptions {
  /** Deflate the page streams (default true); tests turn it off to read the drawn text back. */
  readonly compress?: boolean
}

const margins = { top: 56, bottom: 60, left: 56, right: 56 }

/** Document metadata is stored as UTF-16, so it keeps any script; only control characters go. */
const metadataText = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, " ").trim()

const parseDate = (iso: string | null): Date | undefined => {
  if (iso === null) return undefined
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** `2026-12-02 10:05 UTC`, or the text as given when it is no date. */
const shownDate = (iso: string): string => {
  const date = parseDate(iso)
  return date === undefined ? oneLine(iso) : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`
}

const sectionHeading = (doc: Doc, text: string) => {
  doc.y += 8
  style(doc, fonts.bold, 15)
  ensureSpace(doc, doc.currentLineHeight(true) + 60)
  const { left, width } = area(doc)
  doc.text(text, left, doc.y, { width })
  const y = doc.y + 1
  doc.save().lineWidth(0.5).strokeColor(colors.rule).moveTo(left, y).lineTo(left + width, y).stroke().restore()
  doc.y += 10
}

const drawTitleBlock = (doc: Doc, input: ReportPdfInput) => {
  const { left, width } = area(doc)
  style(doc, fonts.bold, 9, colors.accent)
  doc.text("FISHCLOUD  \u00b7  SIMULATION REPORT", left, doc.y, { width, characterSpacing: 1 })
  doc.y += 6
  style(doc, fonts.bold, 22)
  doc.text(oneLine(input.goal) || "Untitled job", left, doc.y, { width, lineGap })
  doc.y += 6
  const dates = [`Job #${input.jobId}`, `created ${shownDate(input.createdAt)}`]
  if (input.completedAt !== null) dates.push(`completed ${shownDate(input.completedAt)}`)
  style(doc, fonts.regular, 9.5, colors.muted)
  doc.text(dates.join("   \u00b7   "), left, doc.y, { width })
  doc.y += 14
}

/** The key insight in a tinted box; text too long for one page flows on without the tint. */
const drawKeyInsight = (doc: Doc, insight: string) => {
  const text = multiLine(insight)
  if (text.length === 0) return
  const { left, width } = area(doc)
  const pad = 12
  const inner = width - 2 * pad - 4
  style(doc, fonts.bold, 8.5, colors.insightBar)
  const labelHeight = doc.currentLineHeight(true) + 4
  style(doc, fonts.bold, 12.5)
  const height = pad + labelHeight + doc.heightOfString(text, { width: inner, lineGap }) + pad
  if (height <= pageRoom(doc)) {
    ensureSpace(doc, height)
    const top = doc.y
    doc.save().roundedRect(left, top, width, height, 4).fill(colors.insightFill).restore()
    doc.save().rect(left, top, 4, height).fill(colors.insightBar).restore()
    style(doc, fonts.bold, 8.5, colors.insightBar)
    doc.text("KEY INSIGHT", left + pad + 4, top + pad, { width: inner, characterSpacing: 1 })
    doc.y = top + pad + labelHeight
    style(doc, fonts.bold, 12.5)
    doc.text(text, left + pad + 4, doc.y, { width: inner, lineGap })
    doc.y = top + height + 14
  } else {
    const from = mark(doc)
    style(doc, fonts.bold, 8.5, colors.insightBar)
    doc.text("KEY INSIGHT", left + pad, doc.y, { width: inner, characterSpacing: 1 })
    style(doc, fonts.bold, 12.5)
    doc.text(text, left + pad, doc.y + 4, { width: inner, lineGap })
    verticalBar(doc, left + 2, from, mark(doc), colors.insightBar, 4)
    doc.y += 14
  }
}

/** A finding: its title, its body (markdown), its citation; an accent bar down its left side. */
const drawFindingCard = (doc: Doc, finding: Finding) => {
  const { left, width } = area(doc)
  const x = left + 14
  const inner = width - 14
  style(doc, fonts.bold, 12)
  ensureSpace(doc, doc.currentLineHeight(true) * 2 + 2 * (bodySize + lineGap) + 8)
  const from = mark(doc)
  doc.text(oneLine(finding.title) || oneLine(finding.slot), x, doc.y + 2, { width: inner, lineGap })
  doc.y += 4
  drawMarkdown(doc, finding.body, { x, width: inner })
  if (finding.citation !== null && oneLine(finding.citation).length > 0) {
    style(doc, fonts.italic, 9, colors.muted)
    doc.text(`Source: ${oneLine(finding.citation)}`, x, doc.y, { width: inner, lineGap })
  }
  verticalBar(doc, left + 3, from, mark(doc), colors.accent, 3)
  doc.y += 16
}

/** Page numbers and the job's name at the foot of every page, drawn once all pages exist. */
const drawFooters = (doc: Doc, jobId: number) => {
  const range = doc.bufferedPageRange()
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i)
    const { left, width } = area(doc)
    const bottomMargin = doc.page.margins.bottom
    // Writing inside the bottom margin would make pdfkit start a new page: lift the margin while the footer is drawn.
    doc.page.margins.bottom = 0
    const y = doc.page.height - bottomMargin + 24
    style(doc, fonts.regular, 8, colors.muted)
    doc.text(`fishcloud \u00b7 job #${jobId}`, left, y, { width, align: "left", lineBreak: false })
    doc.text(`Page ${i + 1} of ${range.count}`, left, y, { width, align: "right", lineBreak: false })
    doc.page.margins.bottom = bottomMargin
  }
}

/** The finished document's bytes: pdfkit pushes them synchronously into its stream's buffer on `end()`. */
const collect = (doc: Doc): Uint8Array => {
  const chunks: Array<Uint8Array> = []
  doc.end()
  for (let chunk: unknown = doc.read(); chunk !== null; chunk = doc.read()) {
    if (chunk instanceof Uint8Array) chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** `markdown` without its level-2 section `title` (the heading and everything up to the next level-2 heading). */
const withoutSection = (markdown: string, title: string): string => {
  const lines = markdown.split("\n")
  const start = lines.findIndex((line) => line.trim().toLowerCase() === `## ${title.toLowerCase()}`)
  if (start < 0) return markdown
  const after = lines.findIndex((line, i) => i > start && /^##\s/.test(line))
  return [...lines.slice(0, start), ...(after < 0 ? [] : lines.slice(after))].join("\n")
}

/** Only the findings are read from the structured result; its other parts are for the dashboard. */
const WithFindings = Schema.Struct({ findings: Schema.Array(Finding) })
const decodeFindings = Schema.decodeUnknownOption(WithFindings)

const render = (input: ReportPdfInput, findings: ReadonlyArray<Finding>, options: ReportPdfOptions): Uint8Array => {
  const creationDate = parseDate(input.completedAt) ?? parseDate(input.createdAt) ?? new Date(0)
  const doc: Doc = new PDFDocument({
    size: "A4",
    margins,
    bufferPages: true,
    compress: options.compress ?? true,
    displayTitle: true,
    info: {
      Title: metadataText(input.goal) || `fishcloud job ${input.jobId}`,
      Subject: `fishcloud simulation report, job ${input.jobId}`,
      Author: "fishcloud",
      Creator: "fishcloud",
      Producer: "fishcloud (PDFKit)",
      CreationDate: creationDate,
      ModDate: creationDate
    }
  })
  drawTitleBlock(doc, input)
  if (input.keyInsight !== null) drawKeyInsight(doc, input.keyInsight)

  const cards = findings.filter((f) => [f.title, f.slot, f.body, f.citation ?? ""].some((text) => oneLine(text).length > 0))
  if (cards.length > 0) {
    sectionHeading(doc, "Key findings")
    for (const finding of cards) drawFindingCard(doc, finding)
  }

  // The findings drawn as cards are not drawn a second time from the report's own "Key Findings" section.
  const markdown = cards.length > 0 ? withoutSection(readerMarkdown(input.markdown), "Key Findings") : readerMarkdown(input.markdown)
  if (markdown.trim().length > 0) {
    // A report that opens with its own title needs no section heading above it.
    if (!/^\s*#{1,2}[ \t]/.test(markdown)) sectionHeading(doc, "Report")
    else doc.y += 8
    drawMarkdown(doc, markdown)
  }

  if (input.curves.length > 0) {
    sectionHeading(doc, "Market curves")
    for (const curve of input.curves) drawMarketChart(doc, curve)
  }

  drawFooters(doc, input.jobId)
  return collect(doc)
}

/** Renders the report of a finished job as a PDF document. */
export const renderReportPdf = Effect.fn("ReportPdf.render")(
  function*(input: ReportPdfInput, options: ReportPdfOptions = {}) {
    yield* Effect.annotateCurrentSpan("job.id", input.jobId)
    const decoded = input.structured === null || input.structured === undefined
      ? Option.some({ findings: [] })
      : decodeFindings(input.structured)
    if (Option.isNone(decoded)) {
      yield* Effect.logWarning(`The structured result of job ${input.jobId} has no readable findings: the PDF shows none`)
    }
    const findings = Option.match(decoded, { onNone: () => [], onSome: (structured) => structured.findings })
    return yield* Effect.sync(() => render(input, findings, options))
  }
)
