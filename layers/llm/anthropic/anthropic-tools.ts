/**
 * The tools the report model may call (`docs/lifecycle.md`, "The report"), answered from the job's artifacts:
 * `get_top_posts(limit)`, `get_coalitions()`, `get_agent_summary(agent_id)`, `get_trajectory(agent_id)`. Inputs are
 * decoded with Schema; an unknown tool, bad input or an unknown agent is a `ToolError`, which the writer turns into a
 * `tool_result` with `is_error: true` so the model can correct itself (never a failed report).
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Data, Effect, Schema } from "effect"
import type { ReportArtifacts } from "../report/report-artifacts.ts"
import { agentNames, mutualFollows, nameOf, topPosts } from "../report/report-signals.ts"

export class ToolError extends Data.TaggedError("ToolError")<{ readonly message: string }> {}

export const toolDefinitions: ReadonlyArray<Anthropic.Messages.Tool> = [
  {
    name: "get_top_posts",
    description: "The most-liked posts of the simulation (ties broken by replies, then earlier round).",
    input_schema: {
      type: "object",
      properties: { limit: { type: "integer", minimum: 1, maximum: 50, description: "How many posts (default 10)." } },
      required: []
    }
  },
  {
    name: "get_coalitions",
    description: "Pairs of agents that follow each other (from the follow actions of the chat log).",
    input_schema: { type: "object", properties: {}, required: [] }
  },
  {
    name: "get_agent_summary",
    description: "One agent: name, persona and stance, total actions, posts, rounds active and up to 3 sample posts.",
    input_schema: {
      type: "object",
      properties: { agent_id: { type: "string", description: "The agent's id, e.g. a0." } },
      required: ["agent_id"]
    }
  },
  {
    name: "get_trajectory",
    description: "One agent's trajectory: actions and market beliefs (YES probability by market id) per round.",
    input_schema: {
      type: "object",
      properties: { agent_id: { type: "string", description: "The agent's id, e.g. a0." } },
      required: ["agent_id"]
    }
  }
]

const TopPostsInput = Schema.Struct({
  limit: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 50 })))
})
const AgentInput = Schema.Struct({ agent_id: Schema.String })

const decodeInput = <A>(schema: Schema.Codec<A, unknown>, tool: string, input: unknown) =>
  Schema.decodeUnknownEffect(schema)(input ?? {}).pipe(
    Effect.mapError((e) => new ToolError({ message: `invalid input for ${tool}: ${e.message}` }))
  )

const knownAgent = (artifacts: ReportArtifacts, agentId: string) => {
  const names = agentNames(artifacts)
  return names.has(agentId)
    ? Effect.succeed(names)
    : Effect.fail(new ToolError({ message: `unknown agent_id ${JSON.stringify(agentId)}; known: ${[...names.keys()].join(", ")}` }))
}

const agentSummary = (artifacts: ReportArtifacts, agentId: string, names: ReadonlyMap<string, string>) => {
  const entries = artifacts.chatLog.filter((e) => e.agent_id === agentId)
  const posts = artifacts.posts.filter((p) => p.agent_id === agentId)
  const profile = artifacts.profiles?.find((p) => p.agent_id === agentId)
  const rounds = new Set(entries.filter((e) => e.action !== "idle").map((e) => e.round))
  return {
    agent_id: agentId,
    name: nameOf(names, agentId),
    persona: profile?.persona ?? null,
    stance: profile?.stance ?? null,
    total_actions: entries.filter((e) => e.action !== "idle").length,
    total_posts: posts.length,
    rounds_active: rounds.size,
    sample_posts: posts.slice(0, 3).map((p) => ({ id: p.id, round: p.round, text: p.text, likes: p.likes }))
  }
}

/** The tool's answer as JSON text. */
export const runTool = (artifacts: ReportArtifacts, name: string, input: unknown): Effect.Effect<string, ToolError> =>
  Effect.gen(function*() {
    switch (name) {
      case "get_top_posts": {
        const { limit } = yield* decodeInput(TopPostsInput, name, input)
        return JSON.stringify(topPosts(artifacts.posts, limit ?? 10))
      }
      case "get_coalitions": {
        const names = agentNames(artifacts)
        return JSON.stringify(
          mutualFollows(artifacts.chatLog, names).map((p) => ({
            a: { agent_id: p.a, name: nameOf(names, p.a) },
            b: { agent_id: p.b, name: nameOf(names, p.b) }
          }))
        )
      }
      case "get_agent_summary": {
        const { agent_id } = yield* decodeInput(AgentInput, name, input)
        const names = yield* knownAgent(artifacts, agent_id)
        return JSON.stringify(agentSummary(artifacts, agent_id, names))
      }
      case "get_trajectory": {
        const { agent_id } = yield* decodeInput(AgentInput, name, input)
        const names = yield* knownAgent(artifacts, agent_id)
        const trajectory = artifacts.trajectories.find((t) => t.agent_id === agent_id)
        return JSON.stringify({
          agent_id,
          name: nameOf(names, agent_id),
          points: trajectory === undefined ? [] : [...trajectory.points].sort((a, b) => a.round - b.round)
        })
      }
      default:
        return yield* new ToolError({
          message: `unknown tool ${JSON.stringify(name)}; available: ${toolDefinitions.map((t) => t.name).join(", ")}`
        })
    }
  })
