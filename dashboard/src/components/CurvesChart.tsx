/**
 * The market price curves (`GET /api/jobs/:id/curves`), one uPlot chart per market: the YES price, round by round.
 * Charts follow their container's width, so they fit a phone as well as a desktop.
 */
import { useEffect, useRef } from "react"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"
import type { MarketCurve } from "../../../src/domain/artifacts.ts"

const palette = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2"]

const MarketChart = ({ curve, color }: { readonly curve: MarketCurve; readonly color: string }) => {
  const holder = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const element = holder.current
    if (element === null) return
    const dark = window.matchMedia("(prefers-color-scheme: dark)").matches
    const axis = { stroke: dark ? "#9ca3af" : "#4b5563", grid: { stroke: dark ? "#374151" : "#e5e7eb", width: 1 }, ticks: { show: false } }
    const width = () => Math.max(240, element.clientWidth)
    const chart = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        axes: [
          { ...axis, label: "round" },
          { ...axis, values: (_chart, ticks) => ticks.map((tick) => `${Math.round(tick * 100)}%`) }
        ],
        series: [
          {},
          { label: "YES price", stroke: color, width: 2, fill: `${color}22`, points: { show: curve.points.length < 30 } }
        ]
      },
      [curve.points.map((point) => point.round), curve.points.map((point) => point.price_yes)],
      element
    )
    const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: 220 }))
    observer.observe(element)
    return () => {
      observer.disconnect()
      chart.destroy()
    }
  }, [curve, color])
  const last = curve.points[curve.points.length - 1]
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-question">{curve.question}</span>
        {last !== undefined && <span className="chart-last" style={{ color }}>{Math.round(last.price_yes * 100)}% YES</span>}
      </figcaption>
      <div ref={holder} className="chart-canvas" />
    </figure>
  )
}

export const CurvesChart = ({ curves }: { readonly curves: ReadonlyArray<MarketCurve> }) => (
  <div className="charts" data-testid="curves-chart">
    {curves.length === 0 && <p className="muted">No market curves.</p>}
    {curves.map((curve, index) => (
      <MarketChart key={curve.market_id} curve={curve} color={palette[index % palette.length] ?? "#2563eb"} />
    ))}
  </div>
)
