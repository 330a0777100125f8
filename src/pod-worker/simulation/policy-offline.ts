/**
 * The offline policy: seeded, rule-based agents. An agent acts with its activity rate; then it trades where its
 * belief and the price disagree most, replies to the post it disagrees with most, follows an author it agrees
 * with, or posts its view, with weights that grow with the disagreement. Same seed, same decisions.
 */
import { Effect } from "effect"
import type { Stance } from "./agents.ts"
import type { Policy } from "./agent-policy.ts"
import type { Prng } from "./prng.ts"
import { type Decision, type FeedPost, idle, type Observation } from "./world.ts"

/** The most shares an offline agent buys in one trade. */
const maxShares = 20

const openers: Record<Stance, ReadonlyArray<string>> = {
  optimistic: ["Reading the signs, I'm upbeat:", "The momentum is real:", "I'm leaning yes:", "Call me hopeful:"],
  skeptical: ["Cold water time:", "Not convinced yet:", "I doubt the hype:", "Count me out for now:"],
  undecided: ["Weighing it up:", "Honestly torn:", "Still gathering evidence:", "Could go either way:"]
}

const reasons: Record<Stance, ReadonlyArray<string>> = {
  optimistic: [
    "The incentives all point the same way.",
    "Every update lately has moved in that direction.",
    "The people who decide this want it to happen.",
    "Nobody has shown me a real blocker."
  ],
  skeptical: [
    "Plans like this slip all the time.",
    "The hard part has not even started.",
    "Too many people have to agree for this to work.",
    "The loudest voices are not the ones who decide."
  ],
  undecided: [
    "Both sides have a point.",
    "I want to see the next numbers first.",
    "The evidence is thinner than the debate suggests.",
    "It hinges on details nobody has published."
  ]
}

const percent = (p: number) => `${Math.round(p * 100)}%`
const shorten = (text: string, max = 80) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`)
const round2 = (x: number) => Math.round(x * 100) / 100

const beliefIn = (o: Observation, marketId: string) => o.agent.beliefs[marketId] ?? 0.5

/** A feed post's disagreement with the reader, when it states a belief in a market. */
const gapOf = (o: Observation, post: FeedPost) =>
  post.marketId === null || post.statedBelief === null ? undefined : Math.abs(post.statedBelief - beliefIn(o, post.marketId))

const postText = (o: Observation, prng: Prng): Decision => {
  const opener = prng.pick(openers[o.agent.stance]) ?? ""
  const reason = prng.pick(reasons[o.agent.stance]) ?? ""
  const market = prng.pick(o.markets)
  if (market === undefined) {
    const topic = o.goal.trim().length > 0 ? `"${shorten(o.goal.trim())}"` : "what happens next"
    const view = { optimistic: "it will happen", skeptical: "it will not happen", undecided: "it is too early to say" }[o.agent.stance]
    return { _tag: "post", text: `${opener} on ${topic} my read is that ${view}. ${reason}`, marketId: null }
  }
  const belief = beliefIn(o, market.id)
  return {
    _tag: "post",
    text: `${opener} "${shorten(market.question)}" - I put it at ${percent(belief)}, the market says ${percent(market.priceYes)}. ${reason}`,
    marketId: market.id
  }
}

const replyText = (o: Observation, post: FeedPost, prng: Prng): Decision => {
  const gap = gapOf(o, post) ?? 0
  const reason = prng.pick(reasons[o.agent.stance]) ?? ""
  const market = o.markets.find((m) => m.id === post.marketId)
  const text = market === undefined || post.statedBelief === null
    ? `@${post.agentName} ${gap < 0.1 ? "Agreed." : "I see it differently."} ${reason}`
    : `@${post.agentName} ${gap < 0.1 ? "Agreed" : "I see it differently"}: you are at ${percent(post.statedBelief)} on ` +
      `"${shorten(market.question, 60)}", I am at ${percent(beliefIn(o, market.id))}. ${reason}`
  return { _tag: "reply", postId: post.id, text }
}

const decideOffline = (o: Observation, prng: Prng): Decision => {
  if (!prng.chance(o.agent.activity)) return idle

  const edges = o.markets.map((market) => ({ market, edge: beliefIn(o, market.id) - market.priceYes }))
  const best = edges.reduce<(typeof edges)[number] | undefined>(
    (top, e) => (top === undefined || Math.abs(e.edge) > Math.abs(top.edge) ? e : top),
    undefined
  )
  const edge = Math.abs(best?.edge ?? 0)

  const contested = o.feed.reduce<{ post: FeedPost; gap: number } | undefined>((top, post) => {
    const gap = gapOf(o, post) ?? 0.05
    return top === undefined || gap > top.gap ? { post, gap } : top
  }, undefined)

  const following = new Set(o.following)
  const allies = o.feed.filter((p) => !following.has(p.agentId) && (gapOf(o, p) ?? 1) < 0.1)
  const followTarget = allies[0]?.agentId ?? prng.pick(o.others.filter((a) => !following.has(a.id)))?.id

  const weights = [
    best !== undefined && edge >= 0.03 ? 1 + 12 * edge : 0,
    contested !== undefined ? 0.4 + 2 * contested.gap : 0,
    followTarget !== undefined ? 0.6 / (1 + following.size) : 0,
    1
  ]
  switch (prng.weighted(weights)) {
    case 0: {
      const market = best!.market
      const belief = beliefIn(o, market.id)
      const shares = round2(Math.max(1, maxShares * o.agent.confidence * Math.min(1, edge * 4)))
      return { _tag: "trade", marketId: market.id, side: belief > market.priceYes ? "YES" : "NO", shares, limitPrice: belief }
    }
    case 1:
      return replyText(o, contested!.post, prng)
    case 2:
      return { _tag: "follow", agentId: followTarget! }
    default:
      return postText(o, prng)
  }
}

export const offlinePolicy = (prng: Prng): Policy => ({
  kind: "offline",
  decideRound: (observations) => Effect.sync(() => observations.map((o) => decideOffline(o, prng)))
})
