/**
 * The chart and graph libraries (uPlot, Cytoscape) are most of the bundle and only the job and share pages draw
 * with them: they load on first use, as their own files.
 */
import { lazy, Suspense } from "react"
import type { MarketCurve } from "../../../src/domain/artifacts.ts"
import type { SocialGraphView } from "../../../src/domain/social-graph-view.ts"

const Curves = lazy(() => import("./CurvesChart.tsx").then((module) => ({ default: module.CurvesChart })))
const Graph = lazy(() => import("./GraphView.tsx").then((module) => ({ default: module.GraphView })))

const Drawing = () => <p className="muted">Drawing…</p>

export const CurvesChart = ({ curves }: { readonly curves: ReadonlyArray<MarketCurve> }) => (
  <Suspense fallback={<Drawing />}><Curves curves={curves} /></Suspense>
)

export const GraphView = ({ graph }: { readonly graph: SocialGraphView }) => (
  <Suspense fallback={<Drawing />}><Graph graph={graph} /></Suspense>
)
