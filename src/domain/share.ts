/** A finished job's public share link (`POST /api/jobs/:id/share`) and what its page shows (`GET /api/share/:token`). */
import { Schema } from "effect"
import { MarketCurve } from "./artifacts.ts"
import { JobId } from "./ids.ts"
import { JobReport } from "./job.ts"
import { SocialGraphView } from "./social-graph-view.ts"
import { Tier } from "./tier.ts"

/** 32 random bytes, base64url: unguessable, and safe in a URL path. */
const ShareToken = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{43}$/, { message: "is not a share token" }))

export const ShareLink = Schema.Struct({
  token: ShareToken,
  /** The public page: `{PUBLIC_URL}/s/{token}`. */
  url: Schema.String
})
export type ShareLink = typeof ShareLink.Type

/** Only what the page needs: no seed, no owner, no pods, no costs. */
export const SharedJob = Schema.Struct({
  job_id: JobId,
  goal: Schema.NullOr(Schema.String),
  tier: Schema.NullOr(Tier),
  created_at: Schema.String,
  completed_at: Schema.NullOr(Schema.String),
  key_insight: Schema.NullOr(Schema.String),
  report: Schema.NullOr(JobReport),
  curves: Schema.Array(MarketCurve),
  graph: Schema.NullOr(SocialGraphView)
})
export type SharedJob = typeof SharedJob.Type
