/**
 * A logarithmic market scoring rule (LMSR) market maker for one binary market. The YES price is
 * sigmoid((qYes - qNo) / b): always strictly inside (0, 1), moved by every trade, never by anything else.
 * Prices are rounded to 6 decimals when read, so a recorded `price_after` and the curve point after it are the
 * same number.
 */

export type Side = "YES" | "NO"

export interface LmsrMarket {
  readonly id: string
  readonly question: string
  /** Liquidity: shares needed to move the log-odds by 1. */
  readonly liquidity: number
  /** qYes - qNo: only the difference matters for the price. */
  net: number
}

const round6 = (x: number) => Math.round(x * 1_000_000) / 1_000_000
/** Trades stop where the YES price would leave [0.001, 0.999]: a market never becomes certain. */
const extremePrice = 0.999
const logit = (p: number) => Math.log(p / (1 - p))
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** A market opening at `initialPrice` (clamped to [0.01, 0.99]). */
export const openMarket = (id: string, question: string, initialPrice: number, liquidity: number): LmsrMarket => ({
  id,
  question,
  liquidity,
  net: liquidity * logit(Math.min(0.99, Math.max(0.01, initialPrice)))
})

export const priceYes = (market: LmsrMarket): number => round6(sigmoid(market.net / market.liquidity))

/** The shares of `side` that move the YES price to `target`; 0 when the price is already there or beyond. */
export const sharesToReach = (market: LmsrMarket, side: Side, target: number): number => {
  const goal = market.liquidity * logit(Math.min(0.995, Math.max(0.005, target)))
  const shares = side === "YES" ? goal - market.net : market.net - goal
  return Math.max(0, shares)
}

/** The most shares of `side` the market maker sells before the price reaches its extreme. */
export const headroom = (market: LmsrMarket, side: Side): number => {
  const bound = market.liquidity * logit(extremePrice)
  return Math.max(0, side === "YES" ? bound - market.net : market.net + bound)
}

/** What buying `shares` of `side` costs: C(q after) - C(q before), with C(q) = b ln(e^(qYes/b) + e^(qNo/b)). */
const costOf = (market: LmsrMarket, side: Side, shares: number): number => {
  const b = market.liquidity
  // Relative to qNo = 0; softplus(x) = ln(1 + e^x), computed stably.
  const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)))
  const before = b * softplus(market.net / b)
  const afterNet = side === "YES" ? market.net + shares : market.net
  const after = side === "YES" ? b * softplus(afterNet / b) : b * softplus(market.net / b - shares / b) + shares
  return after - before
}

export interface Fill {
  readonly shares: number
  readonly priceBefore: number
  readonly priceAfter: number
  readonly cost: number
}

/** Buys `shares` of `side` from the market maker, cut to its headroom (the fill says how many). */
export const buy = (market: LmsrMarket, side: Side, wanted: number): Fill => {
  const shares = Math.max(0, Math.min(wanted, headroom(market, side)))
  const priceBefore = priceYes(market)
  const cost = costOf(market, side, shares)
  market.net += side === "YES" ? shares : -shares
  return { shares, priceBefore, priceAfter: priceYes(market), cost }
}
