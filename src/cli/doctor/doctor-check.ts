/**
 * What every `fishcloud doctor` check shares: a check yields findings (`src/config-checks.ts`), never fails and never
 * hangs (each has a time limit), and prints no secret (messages are scrubbed of the secrets it used).
 */
import { Duration, Effect, Redacted } from "effect"
import { FetchHttpClient, HttpClient, type HttpClientError, type HttpClientRequest } from "effect/http"
import { rootCause } from "../../../layers/net/root-cause.ts"
import type { Finding, Severity } from "../../config-checks.ts"

/** How long one check may take before it is reported as an error. */
const checkTimeLimit = Duration.seconds(20)

/** How long one network call of a check may take. */
export const callTimeLimit = Duration.seconds(10)

/** The check's findings, or one error saying it got no answer within `limit`. */
export const bounded = (check: string, fix: string, limit: Duration.Duration = checkTimeLimit) =>
<R>(findings: Effect.Effect<ReadonlyArray<Finding>, never, R>): Effect.Effect<ReadonlyArray<Finding>, never, R> =>
  findings.pipe(Effect.timeoutOrElse({
    duration: limit,
    orElse: () => Effect.succeed([finding("error", check, `no answer within ${Duration.format(limit)}`, fix)])
  }))

/** `text` with every secret (and the password of a URL secret) replaced by `<redacted>`. */
export const scrub = (secrets: ReadonlyArray<Redacted.Redacted<string>>) => (text: string): string => {
  const values = secrets.flatMap((secret) => {
    const value = Redacted.value(secret)
    const password = URL.canParse(value) ? new URL(value).password : ""
    // A URL keeps its password percent-encoded; a message may quote either form.
    const decoded = /%(?![0-9a-fA-F]{2})/.test(password) ? password : decodeURIComponent(password)
    return [value, password, decoded].filter((part) => part.length >= 4)
  })
  return values.reduce((scrubbed, value) => scrubbed.split(value).join("<redacted>"), text)
}

/** One finding (`fix` for warnings and errors). */
export const finding = (severity: Severity, check: string, message: string, fix?: string): Finding =>
  fix === undefined ? { severity, check, message } : { severity, check, message, fix }

const labels: Record<Severity, string> = { ok: "ok", warning: "warning", error: "error" }

/** A finding as printed: the severity, the check and its message; the fix on the next line. */
export const renderFinding = (finding: Finding): string => {
  const label = labels[finding.severity].padEnd(8)
  const head = `${label}${finding.check}: ${finding.message}`
  return finding.fix === undefined ? head : `${head}\n${" ".repeat(8)}fix: ${finding.fix}`
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

/** The last line: how many errors and warnings, or that all is well. */
export const summary = (findings: ReadonlyArray<Finding>): { readonly errors: number; readonly line: string } => {
  const errors = findings.filter((finding) => finding.severity === "error").length
  const warnings = findings.filter((finding) => finding.severity === "warning").length
  const line = errors === 0 && warnings === 0
    ? "doctor: every check passed"
    : `doctor: ${plural(errors, "error")}, ${plural(warnings, "warning")}`
  return { errors, line }
}

/** An HTTP answer read whole. */
export interface Answer {
  readonly status: number
  readonly body: Uint8Array
}

/** Why a request got no answer, in words (`connect ECONNREFUSED 127.0.0.1:4000`). */
const noAnswer = (error: HttpClientError.HttpClientError): string => {
  const why = error.reason._tag === "TransportError" ? rootCause(error.reason.cause) : undefined
  return why ?? error.message
}

/** Sends `request` and reads the whole answer within `callTimeLimit`; fails with why there was no answer. */
export const exchange = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer, string> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(request).pipe(Effect.mapError(noAnswer))
    const body = yield* response.arrayBuffer.pipe(Effect.mapError(noAnswer))
    return { status: response.status, body: new Uint8Array(body) }
  }).pipe(
    Effect.scoped,
    Effect.timeoutOrElse({ duration: callTimeLimit, orElse: () => Effect.fail(`no answer within ${Duration.format(callTimeLimit)}`) }),
    Effect.provide(FetchHttpClient.layer)
  )
