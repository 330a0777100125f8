/**
 * Numbers of the API's own rules (request size and seed length are settings, in `src/config.ts`; how long an
 * Idempotency-Key is kept is part of the `JobStore` contract, `services/job-store.ts`).
 */
import { Duration } from "effect"

export const defaultPerPage = 10

/** How long the artifact download URLs handed to users stay valid. */
export const downloadUrlTtl = Duration.hours(1)

/**
 * The job event stream (`GET /api/jobs/:id/events`): how often the one shared poller looks for new events of the
 * jobs someone is following, and how often an idle stream sends a `: keep-alive` comment.
 */
export const eventStreamTiming = { pollMillis: 1_000, keepAliveMillis: 15_000 } as const

/** A create refused because too many jobs are starting (MAX_QUEUED_JOBS) says to try again after this long. */
export const busyRetryAfter = Duration.seconds(5)

/** Most events one read of `job_events` returns; a longer backlog is sent in several reads. */
export const eventBatchSize = 500
