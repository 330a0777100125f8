/**
 * One market's price curve as a vector line chart in the report PDF: the YES price (0 to 1) against the round,
 * with axes, ticks, grid lines, the final price above the plot and the market's question as the caption. Points with a
 * non-finite price are left out and prices are clamped to 0..1, so a malformed curve still draws.
 */
import type { MarketCurve } from "../../domain/artifacts.ts"
import { area, colors, type Doc, ensureSpace, fonts, oneLine, style } from "./pdf-layout.ts"

const plotHeight = 150
const labelTop = 14
const axisBottom = 30
const yTicks = [0, 0.25, 0.5, 0.75, 1] as const

/** A whole-number tick step giving at most `maxTicks` ticks over `range` rounds: 1, 2, 5, 10, 20, 50... */
const tickStep = (range: number, maxTicks: number): number => {
  const raw = Math.max(range / maxTicks, 1)
  const power = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power
}

const label = (doc: Doc, text: string, x: number, y: number, width: number, align: "left" | "center" | "right") => {
  doc.text(text, x, y, { width, align, lineBreak: false })
}

const priceLabel = (price: number) => price.toFixed(2)

/** Draws the chart of `curve` from the cursor down (on a new page when it does not fit) and moves below it. */
export const drawMarketChart = (doc: Doc, curve: MarketCurve): void => {
  const { left, width } = area(doc)
  const caption = oneLine(curve.question) || oneLine(curve.market_id)
  style(doc, fonts.italic, 9.5, colors.muted)
  const captionHeight = Math.min(doc.heightOfString(caption, { width }), doc.currentLineHeight(true) * 3 + 2)
  ensureSpace(doc, labelTop + plotHeight + axisBottom + captionHeight + 18)

  const top = doc.y
  const plot = { x: left + 32, y: top + labelTop, w: width - 44, h: plotHeight }
  const points = curve.points
    .filter((p) => Number.isFinite(p.price_yes) && Number.isFinite(p.round))
    .map((p) => ({ round: p.round, price: Math.min(Math.max(p.price_yes, 0), 1) }))
    .sort((a, b) => a.round - b.round)
  const first = points[0]?.round ?? 0
  const last = points[points.length - 1]?.round ?? first
  const xOf = (round: number) => last === first ? plot.x + plot.w / 2 : plot.x + ((round - first) / (last - first)) * plot.w
  const yOf = (price: number) => plot.y + (1 - price) * plot.h

  // Grid, y ticks and the axis title.
  style(doc, fonts.regular, 8, colors.muted)
  label(doc, "price YES", left, top, 120, "left")
  doc.save().lineWidth(0.5).strokeColor(colors.grid)
  for (const v of yTicks) doc.moveTo(plot.x, yOf(v)).lineTo(plot.x + plot.w, yOf(v))
  doc.stroke().restore()
  for (const v of yTicks) label(doc, v.toString(), left, yOf(v) - 3, 28, "right")

  // x ticks, at whole rounds.
  const step = tickStep(last - first, 8)
  const ticks: Array<number> = []
  for (let round = Math.ceil(first / step) * step; points.length > 0 && round <= last; round += step) ticks.push(round)
  if (ticks.length === 0 && points.length > 0) ticks.push(first)
  doc.save().lineWidth(0.75).strokeColor(colors.text)
  for (const round of ticks) doc.moveTo(xOf(round), plot.y + plot.h).lineTo(xOf(round), plot.y + plot.h + 3)
  doc.stroke().restore()
  for (const round of ticks) label(doc, round.toString(), xOf(round) - 20, plot.y + plot.h + 5, 40, "center")
  label(doc, "round", plot.x, plot.y + plot.h + 17, plot.w, "center")

  // Axes.
  doc.save().lineWidth(0.75).strokeColor(colors.text)
    .moveTo(plot.x, plot.y).lineTo(plot.x, plot.y + plot.h).lineTo(plot.x + plot.w, plot.y + plot.h)
    .stroke().restore()

  // The curve: one stroked path through every point, a dot at its end, the final price above the plot.
  const end = points[points.length - 1]
  if (points.length > 1) {
    doc.save().lineWidth(1.5).lineJoin("round").strokeColor(colors.accent)
    points.forEach((p, i) => i === 0 ? doc.moveTo(xOf(p.round), yOf(p.price)) : doc.lineTo(xOf(p.round), yOf(p.price)))
    doc.stroke().restore()
  }
  if (end !== undefined) {
    doc.save().fillColor(colors.accent).circle(xOf(end.round), yOf(end.price), 2.5).fill().restore()
    style(doc, fonts.bold, 8, colors.accent)
    label(doc, `YES ${priceLabel(end.price)} at round ${end.round}`, plot.x, top, plot.w, "right")
  } else {
    style(doc, fonts.italic, 9, colors.muted)
    label(doc, "no prices recorded", plot.x, plot.y + plot.h / 2 - 5, plot.w, "center")
  }

  // The question as the caption.
  style(doc, fonts.italic, 9.5, colors.muted)
  doc.text(caption, left, plot.y + plot.h + axisBottom + 2, { width, height: captionHeight, ellipsis: true })
  doc.x = left
  doc.y = plot.y + plot.h + axisBottom + captionHeight + 18
}
