/**
 * The simulation's artifacts: the ten files a pod uploads to `sim-data/{job_id}/`, and their shapes. The pod
 * worker writes them, the report writer and the API read them.
 */
import { Schema } from "effect"
import type { JobId } from "./ids.ts"

export const simDataFiles = [
  "market_curves.json",
  "agent_trajectories.json",
  "engagement_summary.json",
  "top_posts.json",
  "posts.json",
  "trades.json",
  "social_graph.json",
  "profiles.json",
  "chat_log.json",
  "relations.json"
] as const
export type SimDataFile = typeof simDataFiles[number]

export const simDataPrefix = (jobId: JobId) => `sim-data/${jobId}/`
export const simDataKey = (jobId: JobId, file: string) => `${simDataPrefix(jobId)}${file}`
export const reportKey = (jobId: JobId) => simDataKey(jobId, "report.md")

/** One action of one agent in one round: the raw story of the simulation. */
export const ChatEntry = Schema.Struct({
  round: Schema.Int,
  agent_id: Schema.String,
  agent_name: Schema.String,
  action: Schema.Literals(["post", "reply", "follow", "trade", "idle"]),
  content: Schema.String,
  target: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type ChatEntry = typeof ChatEntry.Type

export const Post = Schema.Struct({
  id: Schema.String,
  round: Schema.Int,
  agent_id: Schema.String,
  agent_name: Schema.String,
  text: Schema.String,
  reply_to: Schema.NullOr(Schema.String),
  likes: Schema.Int,
  replies: Schema.Int
})
export type Post = typeof Post.Type

export const Trade = Schema.Struct({
  round: Schema.Int,
  agent_id: Schema.String,
  market_id: Schema.String,
  side: Schema.Literals(["YES", "NO"]),
  shares: Schema.Number,
  price_before: Schema.Number,
  price_after: Schema.Number
})
export type Trade = typeof Trade.Type

export const MarketCurve = Schema.Struct({
  market_id: Schema.String,
  question: Schema.String,
  points: Schema.Array(Schema.Struct({ round: Schema.Int, price_yes: Schema.Number }))
})
export type MarketCurve = typeof MarketCurve.Type

export const AgentTrajectory = Schema.Struct({
  agent_id: Schema.String,
  name: Schema.String,
  points: Schema.Array(Schema.Struct({
    round: Schema.Int,
    actions: Schema.Int,
    /** Belief that each market resolves YES, by market id. */
    beliefs: Schema.Record(Schema.String, Schema.Number)
  }))
})
export type AgentTrajectory = typeof AgentTrajectory.Type

export const Profile = Schema.Struct({
  agent_id: Schema.String,
  name: Schema.String,
  persona: Schema.String,
  stance: Schema.String
})
export type Profile = typeof Profile.Type

const EngagementSummary = Schema.Struct({
  rounds: Schema.Int,
  agents: Schema.Int,
  posts: Schema.Int,
  replies: Schema.Int,
  follows: Schema.Int,
  trades: Schema.Int,
  likes: Schema.Int
})
type EngagementSummary = typeof EngagementSummary.Type

export const SocialGraph = Schema.Struct({
  nodes: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })),
  edges: Schema.Array(Schema.Struct({
    source: Schema.String,
    target: Schema.String,
    kind: Schema.Literals(["follow", "reply"])
  }))
})
export type SocialGraph = typeof SocialGraph.Type

export const Relation = Schema.Struct({
  source: Schema.String,
  target: Schema.String,
  relation: Schema.String,
  weight: Schema.Number
})
export type Relation = typeof Relation.Type

/** The decoder of each artifact file. */
export const artifactSchemas = {
  "market_curves.json": Schema.Array(MarketCurve),
  "agent_trajectories.json": Schema.Array(AgentTrajectory),
  "engagement_summary.json": EngagementSummary,
  "top_posts.json": Schema.Array(Post),
  "posts.json": Schema.Array(Post),
  "trades.json": Schema.Array(Trade),
  "social_graph.json": SocialGraph,
  "profiles.json": Schema.Array(Profile),
  "chat_log.json": Schema.Array(ChatEntry),
  "relations.json": Schema.Array(Relation)
} as const satisfies Record<SimDataFile, Schema.Top>
