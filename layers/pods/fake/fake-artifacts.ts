/** Small but valid artifacts for a fake run, so finalize and the report have real files to read. */
import type { SimDataFile } from "../../../src/domain/artifacts.ts"

export const fakeArtifacts = (rounds: number): Record<SimDataFile, unknown> => {
  const agents = [
    { agent_id: "a1", name: "Ada", persona: "transit advocate", stance: "for" },
    { agent_id: "a2", name: "Bo", persona: "small business owner", stance: "against" },
    { agent_id: "a3", name: "Cy", persona: "city engineer", stance: "neutral" }
  ]
  const posts = Array.from({ length: rounds }, (_, i) => {
    const agent = agents[i % agents.length]!
    return {
      id: `p${i + 1}`,
      round: i + 1,
      agent_id: agent.agent_id,
      agent_name: agent.name,
      text: `${agent.name} (round ${i + 1}): the vote is ${i % 2 === 0 ? "closer than people think" : "already decided"}.`,
      reply_to: i === 0 ? null : `p${i}`,
      likes: (i * 7) % 5,
      replies: i % 3
    }
  })
  const trades = posts.map((post, i) => ({
    round: post.round,
    agent_id: post.agent_id,
    market_id: "m1",
    side: i % 3 === 1 ? "NO" : "YES",
    shares: 10,
    price_before: 0.5 + i * 0.01,
    price_after: 0.5 + (i + 1) * 0.01
  }))
  const chatLog = posts.flatMap((post) => [
    { round: post.round, agent_id: post.agent_id, agent_name: post.agent_name, action: "post", content: post.text },
    { round: post.round, agent_id: post.agent_id, agent_name: post.agent_name, action: "follow", content: "", target: "a1" }
  ])
  return {
    "market_curves.json": [{ market_id: "m1", question: "Will it pass?", points: trades.map((t) => ({ round: t.round, price_yes: t.price_after })) }],
    "agent_trajectories.json": agents.map((agent) => ({
      agent_id: agent.agent_id,
      name: agent.name,
      points: Array.from({ length: rounds }, (_, i) => ({ round: i + 1, actions: 2, beliefs: { m1: 0.5 + i * 0.01 } }))
    })),
    "engagement_summary.json": { rounds, agents: agents.length, posts: posts.length, replies: rounds - 1, follows: rounds, trades: trades.length, likes: 0 },
    "top_posts.json": [...posts].sort((a, b) => b.likes - a.likes || a.round - b.round).slice(0, 5),
    "posts.json": posts,
    "trades.json": trades,
    "social_graph.json": {
      nodes: agents.map((agent) => ({ id: agent.agent_id, name: agent.name })),
      edges: [{ source: "a2", target: "a1", kind: "follow" }, { source: "a3", target: "a1", kind: "follow" }]
    },
    "profiles.json": agents,
    "chat_log.json": chatLog,
    "relations.json": [{ source: "a2", target: "a1", relation: "follows", weight: 1 }]
  }
}
