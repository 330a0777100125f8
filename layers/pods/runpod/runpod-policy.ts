/**
 * The numbers of the RunPod REST calls, beside the code that makes them: one request may take `requestTimeout`; a
 * 5xx or a dropped connection is retried on the same candidate with the capped `serverRetry` back-off; a 429 waits
 * its Retry-After (`defaultRetryAfter` when the header is missing or unreadable) at most `rateLimitRetries` times,
 * and a wait longer than `maxRetryAfter` is not waited out here (the lifecycle retries the create later). Only the
 * back-off is scaled by the time scale: the request timeout and Retry-After follow real clocks.
 */
import { Duration } from "effect"

const s = Duration.seconds

export const runpodPolicy = {
  /** What a pod gets: one GPU, a 60 GB container disk, no volume. */
  pod: { gpuCount: 1, containerDiskGb: 60 },
  requestTimeout: s(30),
  serverRetry: { base: s(1), cap: s(15), attempts: 4 },
  rateLimitRetries: 3,
  defaultRetryAfter: s(10),
  maxRetryAfter: s(120)
} as const
