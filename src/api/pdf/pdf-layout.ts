/**
 * The report PDF's page geometry, fonts and colours, and the few layout moves every part of it shares: keeping a
 * block on one page, writing sanitized text, drawing a bar beside content that may run over several pages. The
 * document buffers its pages (`bufferPages`), so the page being written is always the last one.
 */
import type PDFDocument from "pdfkit"
import { toWinAnsi } from "./win-ansi.ts"

export type Doc = InstanceType<typeof PDFDocument>

export const fonts = {
  regular: "Helvetica",
  bold: "Helvetica-Bold",
  italic: "Helvetica-Oblique",
  boldItalic: "Helvetica-BoldOblique",
  mono: "Courier",
  monoBold: "Courier-Bold"
} as const

export const colors = {
  text: "#1f2937",
  muted: "#6b7280",
  accent: "#2563eb",
  link: "#1d4ed8",
  code: "#7c2d12",
  rule: "#d1d5db",
  grid: "#e5e7eb",
  cardFill: "#f3f4f6",
  insightFill: "#fef3c7",
  insightBar: "#d97706",
  quoteBar: "#9ca3af",
  codeBar: "#fdba74"
} as const

export const bodySize = 10.5
export const lineGap = 2

/** Where content may go on the current page. */
export const area = (doc: Doc) => ({
  left: doc.page.margins.left,
  width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
  top: doc.page.margins.top,
  bottom: doc.page.height - doc.page.margins.bottom
})

/** Height of a fresh page's content area. */
export const pageRoom = (doc: Doc): number => area(doc).bottom - area(doc).top

/** Starts a new page unless `height` points still fit below the cursor. */
export const ensureSpace = (doc: Doc, height: number): void => {
  if (doc.y + height > area(doc).bottom) doc.addPage()
}

/** A position in the flowing content: which buffered page and how far down. */
export interface Mark {
  readonly page: number
  readonly y: number
}

export const mark = (doc: Doc): Mark => {
  const range = doc.bufferedPageRange()
  return { page: range.start + range.count - 1, y: doc.y }
}

/**
 * A vertical bar at `x` from `from` to `to`, drawn on every page in between (content that ran over a page break
 * gets its bar on each page), then back to the last page.
 */
export const verticalBar = (doc: Doc, x: number, from: Mark, to: Mark, color: string, width: number): void => {
  for (let page = from.page; page <= to.page; page++) {
    doc.switchToPage(page)
    const { top, bottom } = area(doc)
    const y0 = page === from.page ? from.y : top
    const y1 = page === to.page ? to.y : bottom
    if (y1 > y0) {
      doc.save().lineWidth(width).strokeColor(color).moveTo(x, y0).lineTo(x, y1).stroke().restore()
    }
  }
  doc.switchToPage(to.page)
}

/** Sets font, size and colour in one go. */
export const style = (doc: Doc, font: string, size: number, color: string = colors.text): Doc =>
  doc.font(font).fontSize(size).fillColor(color)

/** Sanitized text, on one line: the form used in titles, labels and captions. */
export const oneLine = (text: string): string => toWinAnsi(text).replace(/\s+/g, " ").trim()

/** Sanitized text, keeping its line breaks. */
export const multiLine = (text: string): string =>
  toWinAnsi(text).split("\n").map((line) => line.trimEnd()).join("\n").replace(/\n{3,}/g, "\n\n").trim()
