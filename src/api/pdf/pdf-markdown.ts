/**
 * Markdown drawn into the report PDF. `marked`'s lexer parses it (no hand-written parser); this module walks the
 * tokens and draws them with pdfkit: headings, paragraphs, bullet, numbered and task lists, bold, italic,
 * strike-through, inline and block code, links, block quotes, rules and simple tables. Raw HTML is not drawn (its
 * text is, without the tags). Every string goes through `toWinAnsi` before it reaches a standard font.
 */
import { Lexer, type MarkedToken, type Token, type Tokens } from "marked"
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
  style,
  verticalBar
} from "./pdf-layout.ts"
import { toWinAnsi } from "./win-ansi.ts"

/** A piece of inline text in one style. */
interface Run {
  readonly text: string
  readonly bold: boolean
  readonly italic: boolean
  readonly code: boolean
  readonly strike: boolean
  readonly link: string | null
}

type RunStyle = Omit<Run, "text">

const plain: RunStyle = { bold: false, italic: false, code: false, strike: false, link: null }

const namedEntities: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: "\"",
  apos: "'",
  nbsp: "\u00a0",
  ndash: "\u2013",
  mdash: "\u2014",
  hellip: "\u2026",
  lsquo: "\u2018",
  rsquo: "\u2019",
  ldquo: "\u201c",
  rdquo: "\u201d",
  laquo: "\u00ab",
  raquo: "\u00bb",
  bull: "\u2022",
  middot: "\u00b7",
  times: "\u00d7",
  euro: "\u20ac",
  pound: "\u00a3",
  copy: "\u00a9",
  reg: "\u00ae",
  trade: "\u2122",
  deg: "\u00b0"
}

/** The HTML entities markdown text may hold (`&amp;`, `&#8212;`, `&#x2014;`), decoded; unknown ones stay as written. */
const decodeEntities = (text: string): string =>
  text.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]+);/gi, (entity, name: string) => {
    if (!name.startsWith("#")) return namedEntities[name.toLowerCase()] ?? entity
    const cp = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10)
    return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : "\ufffd"
  })

/** The text of raw HTML: tags, comments and the content of scripts and styles go. */
const withoutTags = (html: string): string =>
  decodeEntities(html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>|<!--[\s\S]*?-->|<[^>]*>/gi, ""))

const safeLink = (href: string): string | null => /^(https?:|mailto:)/i.test(href.trim()) ? href.trim() : null

/** The inline tokens as styled runs; soft line breaks become spaces, hard ones (`br`) line breaks. */
const runsOf = (tokens: ReadonlyArray<Token>, at: RunStyle): ReadonlyArray<Run> =>
  tokens.flatMap((generic): ReadonlyArray<Run> => {
    const token = generic as MarkedToken
    switch (token.type) {
      case "text":
        return token.tokens !== undefined && token.tokens.length > 0
          ? runsOf(token.tokens, at)
          : [{ ...at, text: decodeEntities(token.text).replace(/\s*\n\s*/g, " ") }]
      case "escape":
        return [{ ...at, text: token.text }]
      case "strong":
        return runsOf(token.tokens, { ...at, bold: true })
      case "em":
        return runsOf(token.tokens, { ...at, italic: true })
      case "del":
        return runsOf(token.tokens, { ...at, strike: true })
      case "codespan":
        return [{ ...at, code: true, text: token.text.replace(/\n/g, " ") }]
      case "link":
        return runsOf(token.tokens, { ...at, link: safeLink(token.href) })
      case "image":
        return [{ ...at, italic: true, text: `[image${token.text.length > 0 ? `: ${decodeEntities(token.text)}` : ""}]` }]
      case "br":
        return [{ ...at, text: "\n" }]
      case "checkbox":
        return [{ ...at, code: true, text: token.checked ? "[x] " : "[ ] " }]
      case "html":
        return /^<br\s*\/?>$/i.test(token.text.trim()) ? [{ ...at, text: "\n" }] : []
      default: {
        const other = generic as Tokens.Generic
        return other.tokens !== undefined ? runsOf(other.tokens, at) : [{ ...at, text: other.raw }]
      }
    }
  })

const sameStyle = (a: Run, b: Run) =>
  a.bold === b.bold && a.italic === b.italic && a.code === b.code && a.strike === b.strike && a.link === b.link

/** Sanitized, without empty pieces, neighbours of one style merged (fewer pdfkit fragments, same look). */
const tidyRuns = (runs: ReadonlyArray<Run>): ReadonlyArray<Run> => {
  const out: Array<Run> = []
  for (const run of runs) {
    const text = toWinAnsi(run.text)
    if (text.length === 0) continue
    const last = out[out.length - 1]
    if (last !== undefined && sameStyle(last, run)) out[out.length - 1] = { ...last, text: last.text + text }
    else out.push({ ...run, text })
  }
  const first = out[0]
  if (first !== undefined) out[0] = { ...first, text: first.text.replace(/^[ ]+/, "") }
  return out.filter((run) => run.text.length > 0)
}

const fontOf = (run: Run): string =>
  run.code
    ? (run.bold ? fonts.monoBold : fonts.mono)
    : run.bold && run.italic
    ? fonts.boldItalic
    : run.bold
    ? fonts.bold
    : run.italic
    ? fonts.italic
    : fonts.regular

/** Where a block goes: its left edge and width (lists and quotes indent). */
export interface Box {
  readonly x: number
  readonly width: number
}

const narrowest = 160

/** `box` moved right by `by` points, unless that would leave it narrower than `narrowest` (deeply nested input). */
const indented = (box: Box, by: number): Box =>
  box.width - by < narrowest ? box : { x: box.x + by, width: box.width - by }

/** Draws styled runs as one wrapping paragraph starting at the cursor; pdfkit moves on to new pages as needed. */
const writeRuns = (doc: Doc, runs: ReadonlyArray<Run>, box: Box, size: number, color: string): void => {
  const parts = tidyRuns(runs)
  parts.forEach((run, i) => {
    // One size for every run: pdfkit lines up a paragraph's pieces by their tops, so a smaller one would float.
    style(doc, fontOf(run), size, run.link !== null ? colors.link : run.code ? colors.code : color)
    const options = {
      continued: i < parts.length - 1,
      lineGap,
      underline: run.link !== null,
      strike: run.strike,
      link: run.link
    }
    if (i === 0) doc.text(run.text, box.x, doc.y, { ...options, width: box.width })
    else doc.text(run.text, options)
  })
}

const headingSizes = [20, 16, 13.5, 12, 11, 11] as const

const gapAfter = (doc: Doc, points: number) => {
  doc.y += points
}

const lineHeight = (doc: Doc, size: number): number => {
  doc.fontSize(size)
  return doc.currentLineHeight(true) + lineGap
}

const drawHeading = (doc: Doc, token: Tokens.Heading, box: Box) => {
  const size = headingSizes[Math.min(Math.max(token.depth, 1), 6) - 1] ?? bodySize
  // A heading never sits alone at the foot of a page: keep room for it and two lines after it.
  gapAfter(doc, size * 0.5)
  ensureSpace(doc, lineHeight(doc, size) + 2 * lineHeight(doc, bodySize))
  writeRuns(doc, runsOf(token.tokens, { ...plain, bold: true }), box, size, colors.text)
  if (token.depth <= 2) {
    const y = doc.y + 1
    doc.save().lineWidth(0.5).strokeColor(colors.rule).moveTo(box.x, y).lineTo(box.x + box.width, y).stroke().restore()
    gapAfter(doc, 4)
  }
  gapAfter(doc, size * 0.3)
}

const drawCode = (doc: Doc, token: Tokens.Code, box: Box) => {
  const text = multiLine(token.text.replace(/\n+$/, ""))
  if (text.length === 0) return
  ensureSpace(doc, lineHeight(doc, bodySize) * 2)
  const from = mark(doc)
  style(doc, fonts.mono, bodySize * 0.88, colors.code)
  doc.text(text, box.x + 10, doc.y + 2, { width: box.width - 10, lineGap: 1 })
  verticalBar(doc, box.x + 2, from, mark(doc), colors.codeBar, 2.5)
  gapAfter(doc, bodySize * 0.7)
}

const drawQuote = (doc: Doc, token: Tokens.Blockquote, box: Box) => {
  ensureSpace(doc, lineHeight(doc, bodySize))
  const from = mark(doc)
  const inner = indented(box, 12)
  drawBlocks(doc, token.tokens, inner, colors.muted)
  verticalBar(doc, inner.x - 9, from, { ...mark(doc), y: doc.y - 3 }, colors.quoteBar, 2.5)
}

const drawList = (doc: Doc, token: Tokens.List, box: Box, color: string, depth: number) => {
  const start = typeof token.start === "number" ? token.start : 1
  const indent = token.ordered ? 20 : 14
  token.items.forEach((item, i) => {
    ensureSpace(doc, lineHeight(doc, bodySize))
    const y = doc.y
    const inner = indented(box, indent)
    const marker = token.ordered ? `${start + i}.` : (["\u2022", "\u2013", "\u00b7"][depth % 3] ?? "\u2022")
    style(doc, token.ordered ? fonts.regular : fonts.bold, bodySize, color)
    doc.text(marker, inner.x - indent, y, { width: indent - 3, lineBreak: false })
    doc.y = y
    for (const child of item.tokens) {
      const part = child as MarkedToken
      if (part.type === "list") drawList(doc, part, inner, color, depth + 1)
      else if (part.type === "text" || part.type === "checkbox") writeRuns(doc, runsOf([part], plain), inner, bodySize, color)
      else drawBlock(doc, part, inner, color, depth + 1)
    }
    gapAfter(doc, item.loose ? bodySize * 0.5 : 1.5)
  })
  if (depth === 0) gapAfter(doc, bodySize * 0.5)
}

const drawTable = (doc: Doc, token: Tokens.Table, box: Box, color: string) => {
  const row = (cells: ReadonlyArray<Tokens.TableCell>, bold: boolean): ReadonlyArray<Run> =>
    cells.flatMap((cell, i) => [
      ...(i > 0 ? [{ ...plain, text: "  |  " }] : []),
      ...runsOf(cell.tokens, { ...plain, bold })
    ])
  ensureSpace(doc, lineHeight(doc, bodySize) * 2)
  writeRuns(doc, row(token.header, true), box, bodySize, color)
  const y = doc.y
  doc.save().lineWidth(0.5).strokeColor(colors.rule).moveTo(box.x, y).lineTo(box.x + box.width, y).stroke().restore()
  gapAfter(doc, 3)
  for (const cells of token.rows) writeRuns(doc, row(cells, false), box, bodySize, color)
  gapAfter(doc, bodySize * 0.7)
}

const drawRule = (doc: Doc, box: Box) => {
  ensureSpace(doc, 12)
  const y = doc.y + 4
  doc.save().lineWidth(0.75).strokeColor(colors.rule).moveTo(box.x, y).lineTo(box.x + box.width, y).stroke().restore()
  gapAfter(doc, 12)
}

const drawParagraph = (doc: Doc, runs: ReadonlyArray<Run>, box: Box, color: string) => {
  if (tidyRuns(runs).length === 0) return
  writeRuns(doc, runs, box, bodySize, color)
  gapAfter(doc, bodySize * 0.6)
}

function drawBlock(doc: Doc, generic: Token, box: Box, color: string, depth: number): void {
  const token = generic as MarkedToken
  switch (token.type) {
    case "heading":
      return drawHeading(doc, token, box)
    case "paragraph":
      return drawParagraph(doc, runsOf(token.tokens, plain), box, color)
    case "text":
      return drawParagraph(doc, runsOf([token], plain), box, color)
    case "list":
      return drawList(doc, token, box, color, depth)
    case "blockquote":
      return drawQuote(doc, token, box)
    case "code":
      return drawCode(doc, token, box)
    case "table":
      return drawTable(doc, token, box, color)
    case "hr":
      return drawRule(doc, box)
    case "html":
      return drawParagraph(doc, [{ ...plain, text: withoutTags(token.text) }], box, color)
    case "space":
    case "def":
      return
    default: {
      const other = generic as Tokens.Generic
      return other.tokens !== undefined
        ? drawBlocks(doc, other.tokens, box, color)
        : drawParagraph(doc, [{ ...plain, text: other.raw }], box, color)
    }
  }
}

function drawBlocks(doc: Doc, tokens: ReadonlyArray<Token>, box: Box, color: string): void {
  for (const token of tokens) drawBlock(doc, token, box, color, 0)
}

/** Draws `markdown` from the cursor down, in `box` (the page's content width by default). */
export const drawMarkdown = (doc: Doc, markdown: string, box: Box = { x: area(doc).left, width: area(doc).width }) =>
  drawBlocks(doc, new Lexer({ gfm: true }).lex(markdown), box, colors.text)
