/** Numbers of the API's own rules (request size and seed length are settings, in `src/config.ts`). */

/** How long an Idempotency-Key remembers its request and response. */
export const idempotencyKeyTtlHours = 24

/** A key claimed by a request that never finished (its process died) is taken over after this long. */
export const abandonedIdempotencyClaimSeconds = 60

export const defaultPerPage = 10
