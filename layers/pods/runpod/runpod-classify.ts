/**
 * What a RunPod answer means and what to do about it (`docs/lifecycle.md`, "RunPod"): the failures of one
 * call, how a create moves through its candidates on each, and the `PodProviderError` the lifecycle sees.
 */
import { Data, Duration, Option } from "effect"
import { PodProviderError } from "../../../services/pod-provider.ts"

/** RunPod answered with a status we do not treat as success. `detail` is the RFC 9457 problem's, or the raw text. */
export class RunPodRefused extends Data.TaggedError("RunPodRefused")<{
  readonly status: number
  readonly detail: string
  /** From `Retry-After` on a 429 (seconds or an HTTP date), when readable. */
  readonly retryAfter: Option.Option<Duration.Duration>
}> {
  override get message() {
    return `${this.status} ${this.detail}`
  }
}

/** No answer at all: connection refused or reset, or the request timed out. The call may or may not have landed. */
export class RunPodUnreachable extends Data.TaggedError("RunPodUnreachable")<{ readonly detail: string }> {
  override get message() {
    return `unreachable: ${this.detail}`
  }
}

/** A success status whose body is not what the API documents. */
export class RunPodBadResponse extends Data.TaggedError("RunPodBadResponse")<{
  readonly status: number
  readonly detail: string
}> {
  override get message() {
    return `unexpected ${this.status} response: ${this.detail}`
  }
}

export type RunPodFailure = RunPodRefused | RunPodUnreachable | RunPodBadResponse

export const isRateLimited = (failure: RunPodFailure): failure is RunPodRefused =>
  failure._tag === "RunPodRefused" && failure.status === 429

/** 5xx and dropped connections: the same request may succeed a moment later. */
export const isServerTrouble = (failure: RunPodFailure) =>
  failure._tag === "RunPodUnreachable" || (failure._tag === "RunPodRefused" && failure.status >= 500)

/** The stock-out text RunPod has used (runpodctl #189); v2 gives no code, only this kind of `detail`. */
const looksLikeStockOut = (detail: string) =>
  /no longer any instances available|no (gpu )?capacity|not enough free gpus|out of stock|no instances available/i.test(detail)

/** A refusal that still means the pod is gone (dstack treats "pod not found to terminate" as success). */
export const meansNotFound = (failure: RunPodFailure) =>
  failure._tag === "RunPodRefused" && (failure.status === 404 || (failure.status < 500 && /not found/i.test(failure.detail)))

/**
 * What create does after one candidate (GPU type in one cloud) failed, once its own 429 and 5xx retries are spent:
 * - `next`: try the next candidate (400: a rule or no capacity, which v2 reports alike; 403: no access to that pool);
 * - `stop`: give up now (402 balance, 401 key, 422 contract violation, 429/5xx still failing, anything else).
 */
export const afterCreateFailure = (failure: RunPodFailure): "next" | "stop" =>
  failure._tag === "RunPodRefused" && (failure.status === 400 || failure.status === 403) ? "next" : "stop"

/** The reason the lifecycle sees for a failure that ends a call. */
export const reasonOf = (failure: RunPodFailure): PodProviderError["reason"] => {
  if (failure._tag === "RunPodUnreachable") return "transient"
  if (failure._tag === "RunPodBadResponse") return "unknown"
  const status = failure.status
  if (status === 400) return looksLikeStockOut(failure.detail) ? "no_capacity" : "invalid"
  if (status === 401 || status === 403) return "forbidden"
  if (status === 402) return "payment_required"
  if (status === 422) return "invalid"
  if (status === 429) return "rate_limited"
  if (status >= 500) return "transient"
  return "unknown"
}

/** A few words for a failure: `no capacity`, `forbidden`, `server error`... */
export const outcomeLabel = (failure: RunPodFailure): string => {
  if (failure._tag === "RunPodUnreachable") return "unreachable"
  if (failure._tag === "RunPodBadResponse") return "unexpected response"
  if (failure.status === 400 && looksLikeStockOut(failure.detail)) return "no capacity"
  return statusLabels[failure.status] ?? (failure.status >= 500 ? "server error" : "refused")
}

/** Operator-readable words for a failure, with RunPod's own detail (never headers or the key). */
export const describe = (failure: RunPodFailure): string =>
  failure._tag === "RunPodRefused" ? `${outcomeLabel(failure)} (${failure.status}: ${failure.detail})` : failure.message

const statusLabels: Record<number, string> = {
  400: "rejected",
  401: "API key refused",
  402: "payment required",
  403: "forbidden",
  404: "not found",
  409: "conflict",
  422: "invalid request",
  429: "rate limited"
}

export const toProviderError = (failure: RunPodFailure, doing: string) =>
  new PodProviderError({ reason: reasonOf(failure), message: `RunPod ${doing}: ${describe(failure)}` })

/**
 * `Retry-After` as a wait: delay-seconds (`12`) or an HTTP date, counted from `nowMillis`; a date in the past is no
 * wait. Anything else is unreadable (None).
 */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const text = value.trim()
  if (/^\d+$/.test(text)) return Option.some(Duration.seconds(Number(text)))
  const at = Date.parse(text)
  if (Number.isNaN(at)) return Option.none()
  return Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}
