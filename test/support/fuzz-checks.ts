/**
 * What every fuzzed answer must satisfy: no 5xx (a declared 503 with Retry-After is back-pressure, not a crash), every
 * error an RFC 9457 problem (application/problem+json with type, title and the status), every success of a request
 * that reached its endpoint decodes with the endpoint's declared success schema for that status, another user's job is
 * always a 404, and no answer holds the other user's data (except the administrators' listings, for an
 * administrator). `violations` returns what a reply broke (nothing when it holds).
 */
import { Exit, Schema } from "effect"
import type { Endpoint, FuzzCase } from "./fuzz-cases.ts"
import type { RawReply } from "./fuzz-http.ts"

const problemContentType = "application/problem+json"

/** The share page of an unknown token is the dashboard's HTML page with a 404: the page itself says so. */
const isSharePage = (fuzzCase: FuzzCase) => fuzzCase.request.path.startsWith("/s/")

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

const problemViolations = (reply: RawReply): ReadonlyArray<string> => {
  const contentType = reply.headers["content-type"] ?? ""
  if (!contentType.startsWith(problemContentType)) return [`error ${reply.status} is not application/problem+json (${contentType || "no content type"})`]
  const body = parseJson(reply.text)
  if (!isRecord(body)) return [`error ${reply.status} body is not a JSON object`]
  const violations: Array<string> = []
  if (typeof body["type"] !== "string") violations.push("problem without a string `type`")
  if (typeof body["title"] !== "string") violations.push("problem without a string `title`")
  if (body["status"] !== reply.status) violations.push(`problem \`status\` ${String(body["status"])} is not the response's ${reply.status}`)
  return violations
}

const decodes = (schema: Schema.Top, value: unknown) => Exit.isSuccess(Schema.decodeUnknownExit(Schema.toCodecJson(schema) as unknown as Schema.Codec<unknown, unknown>)(value))

const successViolations = (endpoint: Endpoint, reply: RawReply): ReadonlyArray<string> => {
  const schemas = endpoint.successes.get(reply.status)
  if (schemas === undefined) return [`success ${reply.status} is not a declared status (${[...endpoint.successes.keys()].join(", ")})`]
  if (reply.status === 204) return reply.bytes.length === 0 ? [] : ["204 with a body"]
  const contentType = reply.headers["content-type"] ?? ""
  if (contentType.startsWith("application/pdf")) return reply.text.startsWith("%PDF") ? [] : ["a PDF that does not start with %PDF"]
  if (!contentType.startsWith("application/json")) return [`success with content type ${contentType}`]
  const body = parseJson(reply.text)
  return schemas.some((schema) => decodes(schema, body)) ? [] : [`success body does not decode with the declared schema: ${reply.text.slice(0, 300)}`]
}

/** The violations of `reply` to `fuzzCase`; `markers` are strings only the other user's data holds (lower case). */
export const violations = (
  endpoint: Endpoint,
  fuzzCase: FuzzCase,
  reply: RawReply,
  markers: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const found: Array<string> = []
  const declaredBusy = reply.status === 503 && endpoint.errorStatuses.has(503) && reply.headers["retry-after"] !== undefined
  if (reply.status >= 500 && !declaredBusy) found.push(`answered ${reply.status}`)
  if (reply.status >= 400 && !(isSharePage(fuzzCase) && reply.status === 404)) found.push(...problemViolations(reply))
  if (reply.status >= 200 && reply.status < 300 && fuzzCase.sameRoute && endpoint.successes.size > 0) {
    found.push(...successViolations(endpoint, reply))
  }
  // A well-formed request about another user's job is a 404 like a missing job; a mangled one may fail earlier.
  if (fuzzCase.victim && (fuzzCase.wellFormed ? reply.status !== 404 : reply.status < 400)) {
    found.push(`another user's job answered ${reply.status}`)
  }
  const everything = (reply.text + JSON.stringify(reply.headers)).toLowerCase()
  // An administrator lists every user, token and audit entry by design; everywhere else, another user's data is a leak.
  const adminView = fuzzCase.admin && fuzzCase.request.path.startsWith("/api/admin/")
  if (!adminView) {
    for (const marker of markers) if (everything.includes(marker)) found.push(`the answer holds another user's data (${marker})`)
  }
  return found
}
