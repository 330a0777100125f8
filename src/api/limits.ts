/** Numbers of the API's own rules (request size and seed length are settings, in `src/config.ts`). */

/** How long an Idempotency-Key remembers its request and response. */
export const idempotencyKeyTtlHours = 24

/** A key claimed by a request that never finished (its process died) is taken over after this long. */
export const abandonedIdempotencyClaimSeconds = 60

export const defaultPerPage = 10

/**
 * The job event stream (`GET /api/jobs/:id/events`): how often the one shared poller looks for new events of the
 * jobs someone is following, and how often an idle stream sends a `: keep-alive` comment.
 */
export const eventStreamTiming = { pollMillis: 1_000, keepAliveMillis: 15_000 } as const

/** Most events one read of `job_events` returns; a longer backlog is sent in several reads. */
export const eventBatchSize = 500
