/**
 * The simulation loop. Each round: agents (in a seeded random order) read a feed of recent posts (the ones by
 * authors they follow first), a policy decides one action each from that snapshot, the actions are applied in
 * order (posts, replies, follows, trades against the LMSR market maker; agents like the posts they agree with),
 * then every agent's beliefs move toward the market price and toward the beliefs stated in the posts it read
 * (followed authors weigh more), while its stance pulls it back a little toward where it started.
 */
import { Effect } from "effect"
import type { ChatEntry } from "../../domain/artifacts.ts"
import type { Market } from "../../domain/market.ts"
import { type Agent, clampBelief } from "./agents.ts"
import { buy, headroom, type LmsrMarket, openMarket, priceYes, type Side, sharesToReach } from "./market-maker.ts"
import type { Policy, PolicyError } from "./agent-policy.ts"
import type { Prng } from "./prng.ts"
import type { Decision, FeedPost, Observation } from "./world.ts"

/** Posts an agent reads per round, and how many rounds back the feed reaches. */
const feedSize = 6
const feedRounds = 3
/** The most shares one trade buys, whatever the policy asks. */
export const maxTradeShares = 50

/** A post as the engine keeps it: what readers see (`FeedPost`, without the per-reader flag), counters updated. */
export interface SimPost extends Omit<FeedPost, "likes" | "followed"> {
  /** Creation order (1, 2, ...): the number in the id. */
  readonly seq: number
  likes: number
  replies: number
}

interface SimTrade {
  readonly round: number
  readonly agentId: string
  readonly marketId: string
  readonly side: Side
  readonly shares: number
  readonly priceBefore: number
  readonly priceAfter: number
}

interface SimFollow {
  readonly round: number
  readonly source: string
  readonly target: string
}

interface TrajectoryPoint {
  readonly round: number
  readonly actions: number
  readonly beliefs: Readonly<Record<string, number>>
}

export interface SimResult {
  readonly rounds: number
  readonly agents: ReadonlyArray<Agent>
  readonly markets: ReadonlyArray<{ readonly id: string; readonly question: string }>
  readonly posts: ReadonlyArray<SimPost>
  readonly trades: ReadonlyArray<SimTrade>
  readonly follows: ReadonlyArray<SimFollow>
  readonly chatLog: ReadonlyArray<ChatEntry>
  readonly curves: ReadonlyMap<string, ReadonlyArray<{ readonly round: number; readonly price_yes: number }>>
  readonly trajectories: ReadonlyMap<string, ReadonlyArray<TrajectoryPoint>>
  readonly likes: number
}

export interface RoundSummary {
  readonly round: number
  readonly totalRounds: number
  readonly posts: number
  readonly replies: number
  readonly follows: number
  readonly trades: number
  readonly likes: number
  /** YES prices after the round, in market order. */
  readonly prices: ReadonlyArray<number>
  readonly chatLog: ReadonlyArray<ChatEntry>
}

export interface SimulationInput {
  readonly goal: string
  readonly markets: ReadonlyArray<Market>
  readonly agents: ReadonlyArray<Agent>
  readonly rounds: number
}

/** Shares are whole hundredths, rounded down so a cap is never exceeded. */
const floor2 = (x: number) => Math.floor(x * 100 + 1e-9) / 100

export const runSimulation = <E, R>(
  input: SimulationInput,
  policy: Policy,
  prng: Prng,
  onRound: (summary: RoundSummary) => Effect.Effect<void, E, R>
): Effect.Effect<SimResult, PolicyError | E, R> =>
  Effect.gen(function*() {
    const { agents, goal } = input
    const liquidity = Math.max(30, 8 * agents.length)
    const markets: Array<LmsrMarket> = input.markets.map((m) => openMarket(m.id, m.question, m.initial_price_yes, liquidity))
    const marketById = new Map(markets.map((m) => [m.id, m]))
    const agentById = new Map(agents.map((a) => [a.id, a]))
    const beliefs = new Map(agents.map((a) => [a.id, { ...a.anchors }]))
    const following = new Map(agents.map((a) => [a.id, new Set<string>()]))
    const posts: Array<SimPost> = []
    const postById = new Map<string, SimPost>()
    const postsByRound = new Map<number, Array<SimPost>>()
    const trades: Array<SimTrade> = []
    const follows: Array<SimFollow> = []
    const chatLog: Array<ChatEntry> = []
    const curves = new Map(markets.map((m) => [m.id, [{ round: 0, price_yes: priceYes(m) }]]))
    const trajectories = new Map(agents.map((a) => [a.id, new Array<TrajectoryPoint>()]))
    let likes = 0
    let replies = 0

    const feedOf = (agent: Agent, round: number): ReadonlyArray<FeedPost> => {
      const followed = following.get(agent.id)!
      const candidates: Array<{ post: SimPost; score: number }> = []
      for (let r = Math.max(1, round - feedRounds); r < round; r++) {
        for (const post of postsByRound.get(r) ?? []) {
          if (post.agentId === agent.id) continue
          const score = (followed.has(post.agentId) ? 3 : 0) + 0.2 * post.likes - 0.5 * (round - 1 - post.round)
          candidates.push({ post, score })
        }
      }
      candidates.sort((a, b) => b.score - a.score || b.post.seq - a.post.seq)
      return candidates.slice(0, feedSize).map(({ post }) => ({
        id: post.id,
        round: post.round,
        agentId: post.agentId,
        agentName: post.agentName,
        text: post.text,
        replyTo: post.replyTo,
        marketId: post.marketId,
        statedBelief: post.statedBelief,
        likes: post.likes,
        followed: followed.has(post.agentId)
      }))
    }

    const entry = (round: number, agent: Agent, action: ChatEntry["action"], content: string, target: string | null): ChatEntry => ({
      round,
      agent_id: agent.id,
      agent_name: agent.name,
      action,
      content,
      target
    })

    const addPost = (round: number, agent: Agent, text: string, replyTo: SimPost | undefined, marketId: string | null) => {
      const statedBelief = marketId === null ? null : beliefs.get(agent.id)![marketId] ?? null
      const post: SimPost = {
        id: `p${posts.length + 1}`,
        seq: posts.length + 1,
        round,
        agentId: agent.id,
        agentName: agent.name,
        text,
        replyTo: replyTo?.id ?? null,
        marketId,
        statedBelief,
        likes: 0,
        replies: 0
      }
      posts.push(post)
      postById.set(post.id, post)
      const inRound = postsByRound.get(round)
      if (inRound === undefined) postsByRound.set(round, [post])
      else inRound.push(post)
      if (replyTo !== undefined) {
        replyTo.replies += 1
        replies += 1
      }
      return post
    }

    /** Applies one decision; an impossible one (unknown post, market or agent) becomes idle. */
    const apply = (round: number, agent: Agent, decision: Decision): ChatEntry => {
      switch (decision._tag) {
        case "post": {
          const marketId = decision.marketId !== null && marketById.has(decision.marketId) ? decision.marketId : null
          const post = addPost(round, agent, decision.text, undefined, marketId)
          return entry(round, agent, "post", post.text, null)
        }
        case "reply": {
          const parent = postById.get(decision.postId)
          if (parent === undefined) return entry(round, agent, "idle", "", null)
          const post = addPost(round, agent, decision.text, parent, parent.marketId)
          return entry(round, agent, "reply", post.text, parent.id)
        }
        case "follow": {
          const target = agentById.get(decision.agentId)
          const mine = following.get(agent.id)!
          if (target === undefined || target.id === agent.id || mine.has(target.id)) return entry(round, agent, "idle", "", null)
          mine.add(target.id)
          follows.push({ round, source: agent.id, target: target.id })
          return entry(round, agent, "follow", `follows ${target.name}`, target.id)
        }
        case "trade": {
          const market = marketById.get(decision.marketId)
          if (market === undefined || !(decision.shares > 0)) return entry(round, agent, "idle", "", null)
          const limit = decision.limitPrice === null ? Infinity : sharesToReach(market, decision.side, decision.limitPrice)
          const shares = floor2(Math.min(decision.shares, maxTradeShares, limit, headroom(market, decision.side)))
          if (shares < 0.01) return entry(round, agent, "idle", "", null)
          const fill = buy(market, decision.side, shares)
          trades.push({
            round,
            agentId: agent.id,
            marketId: market.id,
            side: decision.side,
            shares: fill.shares,
            priceBefore: fill.priceBefore,
            priceAfter: fill.priceAfter
          })
          return entry(
            round,
            agent,
            "trade",
            `bought ${fill.shares} ${decision.side} on ${market.id} for ${fill.cost.toFixed(2)}: ` +
              `${fill.priceBefore.toFixed(3)} -> ${fill.priceAfter.toFixed(3)}`,
            market.id
          )
        }
        case "idle":
          return entry(round, agent, "idle", "", null)
      }
    }

    /** Agents like up to two posts they read that state a belief close to their own. */
    const like = (agent: Agent, feed: ReadonlyArray<FeedPost>) => {
      let given = 0
      for (const seen of feed) {
        if (given >= 2) break
        const mine = seen.marketId === null ? undefined : beliefs.get(agent.id)![seen.marketId]
        const agrees = seen.statedBelief !== null && mine !== undefined
          ? Math.abs(seen.statedBelief - mine) <= 0.1
          : seen.followed
        if (!agrees) continue
        postById.get(seen.id)!.likes += 1
        likes += 1
        given += 1
      }
    }

    const updateBeliefs = (agent: Agent, feed: ReadonlyArray<FeedPost>) => {
      const held = beliefs.get(agent.id)!
      for (const market of markets) {
        const belief = held[market.id] ?? 0.5
        let weighted = 0
        let weights = 0
        for (const seen of feed) {
          if (seen.marketId !== market.id || seen.statedBelief === null) continue
          const w = seen.followed ? 1 : 0.4
          weighted += w * (seen.statedBelief - belief)
          weights += w
        }
        const social = weights > 0 ? weighted / weights : 0
        const anchor = agent.anchors[market.id] ?? belief
        held[market.id] = clampBelief(
          belief + agent.susceptibility * (0.12 * (priceYes(market) - belief) + 0.2 * social) + 0.05 * (anchor - belief)
        )
      }
    }

    for (let round = 1; round <= input.rounds; round++) {
      const order = prng.shuffle(agents)
      const feeds = new Map(order.map((agent) => [agent.id, feedOf(agent, round)]))
      const prices = markets.map((m) => ({ id: m.id, question: m.question, priceYes: priceYes(m) }))
      const observations: ReadonlyArray<Observation> = order.map((agent) => ({
        round,
        totalRounds: input.rounds,
        goal,
        agent: {
          id: agent.id,
          name: agent.name,
          persona: agent.persona,
          stance: agent.stance,
          beliefs: { ...beliefs.get(agent.id)! },
          confidence: agent.confidence,
          activity: agent.activity
        },
        markets: prices,
        feed: feeds.get(agent.id)!,
        following: [...following.get(agent.id)!],
        others: agents.filter((a) => a.id !== agent.id).map((a) => ({ id: a.id, name: a.name, stance: a.stance }))
      }))
      const decisions = yield* policy.decideRound(observations)

      const actions = new Map<string, number>()
      order.forEach((agent, i) => {
        const done = apply(round, agent, decisions[i] ?? { _tag: "idle" })
        chatLog.push(done)
        if (done.action !== "idle") {
          actions.set(agent.id, (actions.get(agent.id) ?? 0) + 1)
          like(agent, feeds.get(agent.id)!)
        }
      })
      for (const agent of agents) updateBeliefs(agent, feeds.get(agent.id)!)
      for (const market of markets) curves.get(market.id)!.push({ round, price_yes: priceYes(market) })
      for (const agent of agents) {
        trajectories.get(agent.id)!.push({ round, actions: actions.get(agent.id) ?? 0, beliefs: { ...beliefs.get(agent.id)! } })
      }

      yield* onRound({
        round,
        totalRounds: input.rounds,
        posts: posts.length,
        replies,
        follows: follows.length,
        trades: trades.length,
        likes,
        prices: markets.map(priceYes),
        chatLog
      })
    }

    return {
      rounds: input.rounds,
      agents,
      markets: markets.map((m) => ({ id: m.id, question: m.question })),
      posts,
      trades,
      follows,
      chatLog,
      curves,
      trajectories,
      likes
    }
  })
