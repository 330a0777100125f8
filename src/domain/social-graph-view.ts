/**
 * Who influenced whom (`GET /api/jobs/:id/graph`, the dashboard's and the share page's graph): the simulation's
 * social graph (`social_graph.json`) with each agent's activity counted from the chat log and its stance from the
 * profiles, and repeated edges folded into one with a weight.
 */
import { Schema } from "effect"
import type { ChatEntry, Profile, SocialGraph } from "./artifacts.ts"

const GraphNode = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** The agent's stance from its profile, when the simulation has profiles. */
  stance: Schema.NullOr(Schema.String),
  /** Every action but idling: posts, replies, follows, trades. */
  actions: Schema.Int,
  /** Posts and replies. */
  posts: Schema.Int
})

const GraphEdge = Schema.Struct({
  source: Schema.String,
  target: Schema.String,
  kind: Schema.Literals(["follow", "reply"]),
  /** How many times `source` did this to `target` (a follow counts once). */
  weight: Schema.Int
})

export const SocialGraphView = Schema.Struct({
  nodes: Schema.Array(GraphNode),
  edges: Schema.Array(GraphEdge),
  metadata: Schema.Struct({ nodes: Schema.Int, edges: Schema.Int, rounds: Schema.Int })
})
export type SocialGraphView = typeof SocialGraphView.Type

export const socialGraphView = (
  graph: SocialGraph,
  chatLog: ReadonlyArray<ChatEntry>,
  profiles: ReadonlyArray<Profile>
): SocialGraphView => {
  const activity = new Map<string, { actions: number; posts: number }>()
  let rounds = 0
  for (const entry of chatLog) {
    rounds = Math.max(rounds, entry.round)
    if (entry.action === "idle") continue
    const counts = activity.get(entry.agent_id) ?? { actions: 0, posts: 0 }
    counts.actions += 1
    if (entry.action === "post" || entry.action === "reply") counts.posts += 1
    activity.set(entry.agent_id, counts)
  }
  const stances = new Map(profiles.map((profile) => [profile.agent_id, profile.stance]))
  const names = new Map(profiles.map((profile) => [profile.agent_id, profile.name]))
  for (const node of graph.nodes) names.set(node.id, node.name)

  const folded = new Map<string, { source: string; target: string; kind: "follow" | "reply"; weight: number }>()
  for (const edge of graph.edges) {
    if (!names.has(edge.source) || !names.has(edge.target)) continue
    const key = JSON.stringify([edge.source, edge.target, edge.kind])
    const seen = folded.get(key)
    if (seen === undefined) folded.set(key, { ...edge, weight: 1 })
    else if (edge.kind === "reply") seen.weight += 1
  }
  const nodes = [...names].map(([id, name]) => ({
    id,
    name,
    stance: stances.get(id) ?? null,
    actions: activity.get(id)?.actions ?? 0,
    posts: activity.get(id)?.posts ?? 0
  }))
  const edges = [...folded.values()]
  return { nodes, edges, metadata: { nodes: nodes.length, edges: edges.length, rounds } }
}
