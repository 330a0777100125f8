/**
 * Request counting for the API's rate limits, shared by every API process (the counters live in the database). A
 * request is counted against its bearer token's budget for reads or writes when the token is known, else against
 * its client address's anonymous budget (so made-up tokens share the address's budget rather than each getting one).
 * Windows are fixed minutes of the database's clock. Database failures are defects, like the other stores.
 */
import { Context, type Effect, Schema } from "effect"

/** Which budget a request is counted against. */
export const RateBucket = Schema.Literals(["reads", "writes", "anonymous"])
export type RateBucket = typeof RateBucket.Type

export interface RateRequest {
  /** The SHA-256 (hex) of the request's bearer token, if it has one. */
  readonly tokenSha256: string | undefined
  /** The client's address, for requests without a known token. */
  readonly address: string
  /** What the request does, for a known token. */
  readonly kind: "reads" | "writes"
}

/** The count of the request's budget in the current window, this request included. */
export interface RateCount {
  readonly bucket: RateBucket
  readonly count: number
  /** Seconds until the window ends and the count starts again. */
  readonly resetSeconds: number
}

export class RateLimits extends Context.Service<RateLimits, {
  /** Counts one request (one statement) and returns its budget's count in the current window. */
  readonly count: (request: RateRequest) => Effect.Effect<RateCount>
}>()("fishcloud/RateLimits") {}
