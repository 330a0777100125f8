/**
 * The LLM policy: each agent asks an OpenAI-compatible chat-completions endpoint (vLLM on a pod) to pick its
 * action by calling one tool: `post`, `reply`, `follow`, `trade` or `idle`. The agents of a round ask
 * concurrently; their decisions are applied in the round's order. A reply without a usable tool call (no call,
 * unknown tool, arguments that do not decode, an id the agent cannot see) is logged as malformed and becomes idle.
 * A call that still fails after its retries fails the job: the backend is broken, and a run of idle agents would
 * look like a result.
 */
import { Effect, Option, Schema } from "effect"
import type { ChatCompletion, ChatReply, LlmCallError } from "../llm-client.ts"
import { maxTradeShares } from "./simulation-engine.ts"
import { type Policy, PolicyError } from "./agent-policy.ts"
import { type Decision, idle, type Observation } from "./world.ts"

export interface LlmPolicyOptions {
  readonly model: string
  readonly concurrency: number
  /** Seeds the backend's sampling (vLLM honours `seed`), so runs vary less. */
  readonly seed: number
  readonly chat: (body: unknown, label: string) => Effect.Effect<ChatReply, LlmCallError>
  readonly log: (line: string) => Effect.Effect<void>
}

const PostArgs = Schema.Struct({ text: Schema.String, market_id: Schema.optionalKey(Schema.NullOr(Schema.String)) })
const ReplyArgs = Schema.Struct({ post_id: Schema.String, text: Schema.String })
const FollowArgs = Schema.Struct({ agent_id: Schema.String })
const TradeArgs = Schema.Struct({ market_id: Schema.String, side: Schema.Literals(["YES", "NO"]), shares: Schema.Finite })

const decodeArgs = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, text: string) =>
  Schema.decodeUnknownOption(Schema.fromJsonString(schema))(text) as Option.Option<S["Type"]>

/** The most other participants named in one prompt: large swarms would not fit the context. */
const maxNamedOthers = 25

/** The participants an agent can name: authors in its feed first, then the others in id order, capped. */
const namedOthers = (o: Observation) => {
  const inFeed = new Set(o.feed.map((p) => p.agentId))
  return [...o.others.filter((a) => inFeed.has(a.id)), ...o.others.filter((a) => !inFeed.has(a.id))].slice(0, maxNamedOthers)
}

const percent = (p: number) => `${Math.round(p * 100)}%`
const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`)

/** The tools this agent can call now: ids are enumerated so the model only names what it can see. */
export const toolsFor = (o: Observation) => {
  const fn = (name: string, description: string, properties: Record<string, unknown>, required: ReadonlyArray<string>) => ({
    type: "function",
    function: { name, description, parameters: { type: "object", properties, required, additionalProperties: false } }
  })
  const marketIds = o.markets.map((m) => m.id)
  const tools = [
    fn("post", "Publish a short post (at most 280 characters) to the feed.", {
      text: { type: "string", description: "What you say." },
      ...(marketIds.length > 0
        ? { market_id: { type: "string", enum: marketIds, description: "The market the post is about, if any." } }
        : {})
    }, ["text"])
  ]
  if (o.feed.length > 0) {
    tools.push(fn("reply", "Reply to a post in your feed.", {
      post_id: { type: "string", enum: o.feed.map((p) => p.id) },
      text: { type: "string", description: "Your reply (at most 280 characters)." }
    }, ["post_id", "text"]))
  }
  const unfollowed = namedOthers(o).filter((a) => !o.following.includes(a.id)).map((a) => a.id)
  if (unfollowed.length > 0) {
    tools.push(fn("follow", "Follow another participant: you will see their posts first.", {
      agent_id: { type: "string", enum: unfollowed }
    }, ["agent_id"]))
  }
  if (marketIds.length > 0) {
    tools.push(fn("trade", "Buy shares of YES or NO in a prediction market; the price moves with your trade.", {
      market_id: { type: "string", enum: marketIds },
      side: { type: "string", enum: ["YES", "NO"] },
      shares: { type: "number", minimum: 1, maximum: maxTradeShares }
    }, ["market_id", "side", "shares"]))
  }
  tools.push(fn("idle", "Do nothing this round.", {}, []))
  return tools
}

export const messagesFor = (o: Observation) => {
  const system = [
    `You are ${o.agent.name}. ${o.agent.persona}`,
    `Your stance: ${o.agent.stance}.`,
    o.goal.trim().length > 0 ? `The community is debating: ${o.goal.trim()}` : "",
    "Each round you take exactly one action by calling exactly one tool. Stay in character; be brief."
  ].filter((line) => line.length > 0).join("\n")
  const markets = o.markets.length === 0
    ? "There are no prediction markets."
    : o.markets.map((m) =>
      `- ${m.id}: "${m.question}" market price YES ${percent(m.priceYes)}, your belief ${percent(o.agent.beliefs[m.id] ?? 0.5)}`
    ).join("\n")
  const feed = o.feed.length === 0
    ? "Your feed is empty."
    : o.feed.map((p) => `- ${p.id} by ${p.agentName}${p.followed ? " (you follow them)" : ""}, ${p.likes} likes: ${cut(p.text, 280)}`)
      .join("\n")
  const people = namedOthers(o).map((a) => `${a.id} ${a.name}${o.following.includes(a.id) ? " (followed)" : ""}`).join(", ")
  const user = [
    `Round ${o.round} of ${o.totalRounds}.`,
    `Markets:\n${markets}`,
    `Feed:\n${feed}`,
    `Participants: ${people || "none"}`,
    "Choose your action now."
  ].join("\n\n")
  return [{ role: "system", content: system }, { role: "user", content: user }]
}

/** The decision in a completion, or undefined when it has no usable tool call. */
const decisionOf = (o: Observation, completion: ChatCompletion): Decision | undefined => {
  const call = completion.choices[0]?.message.tool_calls?.[0]
  if (call === undefined) return undefined
  const args = call.function.arguments.trim().length === 0 ? "{}" : call.function.arguments
  const hasMarket = (id: string) => o.markets.some((m) => m.id === id)
  switch (call.function.name) {
    case "post":
      return Option.match(decodeArgs(PostArgs, args), {
        onNone: () => undefined,
        onSome: ({ text, market_id }) =>
          text.trim().length === 0
            ? undefined
            : {
              _tag: "post",
              text: cut(text.trim(), 500),
              marketId: market_id !== undefined && market_id !== null && hasMarket(market_id) ? market_id : null
            }
      })
    case "reply":
      return Option.match(decodeArgs(ReplyArgs, args), {
        onNone: () => undefined,
        onSome: ({ post_id, text }) =>
          text.trim().length === 0 || !o.feed.some((p) => p.id === post_id)
            ? undefined
            : { _tag: "reply", postId: post_id, text: cut(text.trim(), 500) }
      })
    case "follow":
      return Option.match(decodeArgs(FollowArgs, args), {
        onNone: () => undefined,
        onSome: ({ agent_id }) =>
          namedOthers(o).some((a) => a.id === agent_id) && !o.following.includes(agent_id)
            ? { _tag: "follow", agentId: agent_id }
            : undefined
      })
    case "trade":
      return Option.match(decodeArgs(TradeArgs, args), {
        onNone: () => undefined,
        onSome: ({ market_id, side, shares }) =>
          hasMarket(market_id) && shares > 0
            ? { _tag: "trade", marketId: market_id, side, shares: Math.min(maxTradeShares, Math.max(1, shares)), limitPrice: null }
            : undefined
      })
    case "idle":
      return idle
    default:
      return undefined
  }
}

export const llmPolicy = (options: LlmPolicyOptions): Policy => {
  const decideOne = (o: Observation) =>
    Effect.gen(function*() {
      const label = `agent=${o.agent.id} round=${o.round}`
      const body = {
        model: options.model,
        messages: messagesFor(o),
        tools: toolsFor(o),
        tool_choice: "auto",
        temperature: 0.7,
        max_tokens: 300,
        seed: (options.seed + o.round * 7919 + Number(o.agent.id.replace(/\D/g, "") || 0)) >>> 0
      }
      const reply = yield* options.chat(body, label).pipe(
        Effect.mapError((error) =>
          new PolicyError({
            message: `LLM call failed for ${label}${error.transient ? " after 3 attempts" : ""}: ${error.detail}`
          })
        )
      )
      const decision = Option.flatMap(reply.completion, (c) => Option.fromUndefinedOr(decisionOf(o, c)))
      const tokens = Option.match(reply.completion, { onNone: () => 0, onSome: (c) => c.usage?.total_tokens ?? 0 })
      if (Option.isNone(decision)) {
        yield* options.log(`llm.chat malformed tool call ${label} -> idle`)
        return idle
      }
      yield* options.log(
        `llm.chat ok ${label} tool=${decision.value._tag} tokens=${tokens} ms=${reply.millis} attempts=${reply.attempts}`
      )
      return decision.value
    })

  return {
    kind: "llm",
    decideRound: (observations) => Effect.forEach(observations, decideOne, { concurrency: options.concurrency })
  }
}
