/**
 * The ten artifact files of a finished simulation (`docs/lifecycle.md`, "Artifacts"), built from its result, encoded
 * with `artifactSchemas` (so whatever is uploaded decodes on the other side) and written to the worker's data dir.
 * Also the entity graph handed back through `/status` as `graph_data`.
 */
import * as NodePath from "node:path"
import { Effect, FileSystem, Schema } from "effect"
import {
  artifactSchemas,
  type Relation,
  type SimDataFile,
  simDataFiles,
  type SocialGraph
} from "../domain/artifacts.ts"
import type { EntityGraph } from "./simulation/entities.ts"
import type { SimPost, SimResult } from "./simulation/simulation-engine.ts"

export type ArtifactSet = { readonly [F in SimDataFile]: (typeof artifactSchemas)[F]["Type"] }

/** The JSON text of each artifact, in `simDataFiles` order. */
export type EncodedArtifacts = ReadonlyArray<readonly [SimDataFile, string]>

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const toPost = (post: SimPost) => ({
  id: post.id,
  round: post.round,
  agent_id: post.agentId,
  agent_name: post.agentName,
  text: post.text,
  reply_to: post.replyTo,
  likes: post.likes,
  replies: post.replies
})

export const buildArtifacts = (result: SimResult, graph: EntityGraph): ArtifactSet => {
  const posts = result.posts.map(toPost)
  const postById = new Map(result.posts.map((p) => [p.id, p]))

  const replyCounts = new Map<string, { source: string; target: string; weight: number }>()
  for (const post of result.posts) {
    const parent = post.replyTo === null ? undefined : postById.get(post.replyTo)
    if (parent === undefined || parent.agentId === post.agentId) continue
    const key = `${post.agentId}>${parent.agentId}`
    const seen = replyCounts.get(key)
    if (seen === undefined) replyCounts.set(key, { source: post.agentId, target: parent.agentId, weight: 1 })
    else seen.weight += 1
  }

  const agentOfEntity = new Map(result.agents.flatMap((a) => (a.entityId === null ? [] : [[a.entityId, a.id] as const])))
  const coMentions: Array<Relation> = graph.edges.flatMap((edge) => {
    const source = agentOfEntity.get(edge.source)
    const target = agentOfEntity.get(edge.target)
    return source === undefined || target === undefined ? [] : [{ source, target, relation: "co_mentioned", weight: edge.weight }]
  })

  const socialGraph: SocialGraph = {
    nodes: result.agents.map((a) => ({ id: a.id, name: a.name })),
    edges: [
      ...result.follows.map((f) => ({ source: f.source, target: f.target, kind: "follow" as const })),
      ...[...replyCounts.values()].map((r) => ({ source: r.source, target: r.target, kind: "reply" as const }))
    ]
  }

  const topPosts = [...posts]
    .sort((a, b) => b.likes - a.likes || b.replies - a.replies || a.round - b.round || byText(a.id, b.id))
    .slice(0, 10)

  return {
    "market_curves.json": result.markets.map((m) => ({
      market_id: m.id,
      question: m.question,
      points: result.curves.get(m.id) ?? []
    })),
    "agent_trajectories.json": result.agents.map((a) => ({
      agent_id: a.id,
      name: a.name,
      points: result.trajectories.get(a.id) ?? []
    })),
    "engagement_summary.json": {
      rounds: result.rounds,
      agents: result.agents.length,
      posts: posts.length,
      replies: posts.filter((p) => p.reply_to !== null).length,
      follows: result.follows.length,
      trades: result.trades.length,
      likes: result.likes
    },
    "top_posts.json": topPosts,
    "posts.json": posts,
    "trades.json": result.trades.map((t) => ({
      round: t.round,
      agent_id: t.agentId,
      market_id: t.marketId,
      side: t.side,
      shares: t.shares,
      price_before: t.priceBefore,
      price_after: t.priceAfter
    })),
    "social_graph.json": socialGraph,
    "profiles.json": result.agents.map((a) => ({ agent_id: a.id, name: a.name, persona: a.persona, stance: a.stance })),
    "chat_log.json": result.chatLog,
    "relations.json": [
      ...result.follows.map((f) => ({ source: f.source, target: f.target, relation: "follows", weight: 1 })),
      ...[...replyCounts.values()].map((r) => ({ ...r, relation: "replied_to" })),
      ...coMentions
    ]
  }
}

/** The seed's entity graph, for `/status` `graph_data`: entities, the agent speaking for each, co-mentions. */
export const graphData = (result: SimResult, graph: EntityGraph) => {
  const agentOfEntity = new Map(result.agents.flatMap((a) => (a.entityId === null ? [] : [[a.entityId, a.id] as const])))
  return {
    nodes: graph.entities.map((e) => ({
      id: e.id,
      name: e.name,
      kind: e.kind,
      mentions: e.mentions,
      agent_id: agentOfEntity.get(e.id) ?? null
    })),
    edges: graph.edges.map((e) => ({ source: e.source, target: e.target, relation: "co_mentioned", weight: e.weight }))
  }
}

export class ArtifactEncodingError extends Schema.TaggedError<ArtifactEncodingError>()("ArtifactEncodingError", {
  file: Schema.String,
  message: Schema.String
}) {}

type Decoded<F extends SimDataFile> = (typeof artifactSchemas)[F]["Type"]

const encodeOne = <F extends SimDataFile>(file: F, value: Decoded<F>) => {
  // Encoding checks the value against the schema; the JSON-string codec always encodes to a string.
  const codec: Schema.Codec<Decoded<F>, unknown> = Schema.fromJsonString(artifactSchemas[file])
  return Schema.encodeEffect(codec)(value).pipe(
    Effect.mapError((error) => new ArtifactEncodingError({ file, message: error.message })),
    Effect.flatMap((text) =>
      typeof text === "string"
        ? Effect.succeed(text)
        : Effect.fail(new ArtifactEncodingError({ file, message: "did not encode to JSON text" }))
    )
  )
}

/** Each artifact as JSON text, checked against its schema. */
export const encodeArtifacts = (artifacts: ArtifactSet): Effect.Effect<EncodedArtifacts, ArtifactEncodingError> =>
  Effect.forEach(simDataFiles, (file) => Effect.map(encodeOne(file, artifacts[file]), (text) => [file, text] as const))

/** Writes the files (and `graph_data.json`) into `dir`, each atomically (temp file, then rename). */
export const writeArtifacts = Effect.fn("PodWorker.writeArtifacts")(function*(
  dir: string,
  files: EncodedArtifacts,
  graph: string
) {
  const fs = yield* FileSystem.FileSystem
  yield* fs.makeDirectory(dir, { recursive: true })
  for (const [name, text] of [...files, ["graph_data.json", graph] as const]) {
    const target = NodePath.join(dir, name)
    yield* fs.writeFileString(`${target}.tmp`, text)
    yield* fs.rename(`${target}.tmp`, target)
  }
})
