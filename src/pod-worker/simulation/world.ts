/** What an agent sees before it acts, and what it can decide: the contract between the engine and a policy. */
import type { Stance } from "./agents.ts"
import type { Side } from "./market-maker.ts"

export interface FeedPost {
  readonly id: string
  readonly round: number
  readonly agentId: string
  readonly agentName: string
  readonly text: string
  readonly replyTo: string | null
  /** The market the post is about, if any, and the author's belief in it when posting. */
  readonly marketId: string | null
  readonly statedBelief: number | null
  readonly likes: number
  /** Whether the reader follows the author. */
  readonly followed: boolean
}

interface MarketView {
  readonly id: string
  readonly question: string
  readonly priceYes: number
}

export interface Observation {
  readonly round: number
  readonly totalRounds: number
  readonly goal: string
  readonly agent: {
    readonly id: string
    readonly name: string
    readonly persona: string
    readonly stance: Stance
    readonly beliefs: Readonly<Record<string, number>>
    readonly confidence: number
    readonly activity: number
  }
  readonly markets: ReadonlyArray<MarketView>
  readonly feed: ReadonlyArray<FeedPost>
  readonly following: ReadonlyArray<string>
  readonly others: ReadonlyArray<{ readonly id: string; readonly name: string; readonly stance: Stance }>
}

export type Decision =
  | { readonly _tag: "post"; readonly text: string; readonly marketId: string | null }
  | { readonly _tag: "reply"; readonly postId: string; readonly text: string }
  | { readonly _tag: "follow"; readonly agentId: string }
  | {
    readonly _tag: "trade"
    readonly marketId: string
    readonly side: Side
    readonly shares: number
    /** A limit: the trade is cut so the YES price does not pass it (the agent's belief). */
    readonly limitPrice: number | null
  }
  | { readonly _tag: "idle" }

export const idle: Decision = { _tag: "idle" }
