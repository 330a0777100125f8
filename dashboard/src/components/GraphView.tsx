/**
 * Who influenced whom (`GET /api/jobs/:id/graph`) drawn with Cytoscape: agents sized by their actions and coloured
 * by stance, follows as thin grey arrows, replies as coloured arrows whose width grows with their count.
 */
import { useEffect, useRef } from "react"
import cytoscape from "cytoscape"
import type { SocialGraphView } from "../../../src/domain/social-graph-view.ts"

const stanceColors = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"]

export const GraphView = ({ graph }: { readonly graph: SocialGraphView }) => {
  const holder = useRef<HTMLDivElement>(null)
  const stances = [...new Set(graph.nodes.map((node) => node.stance ?? "unknown"))]
  const colorOf = (stance: string | null) => stanceColors[stances.indexOf(stance ?? "unknown") % stanceColors.length] ?? "#6b7280"
  useEffect(() => {
    const element = holder.current
    if (element === null) return
    const dark = window.matchMedia("(prefers-color-scheme: dark)").matches
    const most = Math.max(1, ...graph.nodes.map((node) => node.actions))
    const heaviest = Math.max(1, ...graph.edges.map((edge) => edge.weight))
    const known = new Set(graph.nodes.map((node) => node.id))
    const cy = cytoscape({
      container: element,
      elements: [
        ...graph.nodes.map((node) => ({
          data: { id: node.id, label: node.name, size: 14 + 36 * Math.sqrt(node.actions / most), color: colorOf(node.stance) }
        })),
        ...graph.edges
          .filter((edge) => known.has(edge.source) && known.has(edge.target))
          .map((edge, index) => ({
            data: {
              id: `e${index}`,
              source: edge.source,
              target: edge.target,
              kind: edge.kind,
              width: edge.kind === "reply" ? 1 + 4 * (edge.weight / heaviest) : 1
            }
          }))
      ],
      style: [
        {
          selector: "node",
          style: {
            "background-color": "data(color)",
            width: "data(size)",
            height: "data(size)",
            label: "data(label)",
            "font-size": 10,
            color: dark ? "#e5e7eb" : "#1f2937",
            "text-valign": "bottom",
            "text-margin-y": 3
          }
        },
        {
          selector: "edge",
          style: {
            width: "data(width)",
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            "arrow-scale": 0.6,
            opacity: 0.7
          }
        },
        { selector: "edge[kind = 'follow']", style: { "line-color": dark ? "#4b5563" : "#cbd5e1", "target-arrow-color": dark ? "#4b5563" : "#cbd5e1" } },
        { selector: "edge[kind = 'reply']", style: { "line-color": "#f59e0b", "target-arrow-color": "#f59e0b" } }
      ],
      layout: { name: "cose", animate: false, padding: 16, nodeRepulsion: () => 9000, idealEdgeLength: () => 70 },
      minZoom: 0.2,
      maxZoom: 3
    })
    return () => cy.destroy()
  }, [graph])
  return (
    <div className="graph">
      <div className="graph-canvas" ref={holder} data-testid="graph-view" />
      <div className="legend">
        {stances.map((stance) => (
          <span key={stance} className="legend-item"><i style={{ background: colorOf(stance) }} />{stance}</span>
        ))}
        <span className="legend-item"><i className="line follow" />follows</span>
        <span className="legend-item"><i className="line reply" />replies</span>
        <span className="muted">{graph.metadata.nodes} agents · {graph.metadata.edges} ties · {graph.metadata.rounds} rounds</span>
      </div>
    </div>
  )
}
