/**
 * Records a write request in the audit log once it is answered: who (user, token name and scope), the route, the job
 * it acted on, an allow-listed subject and the status. Called by the `Authorization` middleware for every write
 * route, so no handler needs to remember it. Nothing of the request body is read; of the response only the ids and
 * names listed in `subjectOf` (never a token). A failure to write the entry is logged, not answered: the action
 * itself happened.
 */
import { Cause, Effect, Exit, Option, Predicate, Schema } from "effect"
import { HttpRouter, type HttpServerResponse } from "effect/http"
import type { TokenGrant } from "../../../services/accounts.ts"
import { Audit } from "../../../services/audit.ts"
import type { User } from "../../domain/user.ts"

/** The few response fields an entry may name: a job's or token's id, a user's or token's name, a token's owner. */
const ResponseIds = Schema.Struct({
  id: Schema.optional(Schema.Int),
  name: Schema.optional(Schema.String),
  user: Schema.optional(Schema.String),
  scope: Schema.optional(Schema.String),
  info: Schema.optional(Schema.Struct({
    id: Schema.Int,
    name: Schema.String,
    user: Schema.String,
    scope: Schema.String
  }))
})
const decodeResponseIds = Schema.decodeUnknownOption(Schema.fromJsonString(ResponseIds))

const responseIds = (response: HttpServerResponse.HttpServerResponse) =>
  response.body._tag === "Uint8Array" && response.status < 300
    ? decodeResponseIds(new TextDecoder().decode(response.body.body))
    : Option.none()

/** The status a failed request answers: a problem's own, else 400 for a request that did not decode, else 500. */
const statusOfFailure = (cause: Cause.Cause<unknown>): number => {
  const failure = cause.reasons.find(Cause.isFailReason)?.error
  // Inside a security middleware the handler's errors travel wrapped (`{ error }`) until the middleware returns.
  const error = Predicate.hasProperty(failure, "error") && !Predicate.hasProperty(failure, "status") ? failure.error : failure
  if (Predicate.hasProperty(error, "status") && typeof error.status === "number") return error.status
  // The request's own validation (params, query, payload) refuses it with a 400 problem.
  if (Predicate.hasProperty(error, "_tag") && error._tag === "HttpApiSchemaError") return 400
  const defect = cause.reasons.find(Cause.isDieReason)?.defect
  if (Predicate.hasProperty(defect, "_tag") && defect._tag === "HttpApiSchemaError") return 400
  return 500
}

const jobIdOf = (params: Readonly<Record<string, string | undefined>>) => {
  const id = Number(params["id"])
  return params["id"] !== undefined && Number.isSafeInteger(id) && id > 0 ? id : null
}

/** What the entry names besides the job: allow-listed path parameters and response fields, per group. */
const subjectOf = (
  group: string,
  params: Readonly<Record<string, string | undefined>>,
  ids: Option.Option<typeof ResponseIds.Type>,
  pathJob: number | null
): { readonly job: number | null; readonly subject: string | null } => {
  const found = Option.getOrUndefined(ids)
  if (group === "adminTokens") {
    const token = found?.info ?? (found?.id !== undefined && found.name !== undefined ? { id: found.id, name: found.name, user: found.user ?? "?", scope: found.scope ?? "?" } : undefined)
    if (token !== undefined) return { job: null, subject: `token ${token.id} "${token.name}" of ${token.user} (${token.scope})` }
    return { job: null, subject: params["id"] !== undefined ? `token ${params["id"]}` : null }
  }
  if (group === "adminUsers") return { job: null, subject: found?.name !== undefined ? `user ${found.name}` : null }
  if (params["tier"] !== undefined) return { job: null, subject: `tier ${params["tier"]}` }
  // A user named in the path (quotas: `/api/admin/quotas/:user`).
  if (params["user"] !== undefined) return { job: null, subject: `user ${params["user"]}` }
  if (group === "jobs" || group === "drafts" || group === "results") {
    const responseJob = found?.id ?? null
    // A retry acts on the old job and makes a new one: the entry names both.
    if (pathJob !== null && responseJob !== null && responseJob !== pathJob) return { job: pathJob, subject: `new job ${responseJob}` }
    return { job: pathJob ?? responseJob, subject: null }
  }
  return { job: pathJob, subject: null }
}

export interface AuditedRequest {
  readonly user: User
  readonly token: TokenGrant
  readonly method: string
  readonly route: string
  readonly group: string
  readonly endpoint: string
}

/** Records the entry of `request` once `httpEffect` answered (a refusal before it ran passes its status). */
export const recordWrite = (request: AuditedRequest, outcome: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown> | number) =>
  Effect.gen(function*() {
    if (typeof outcome !== "number" && Exit.isFailure(outcome) && Cause.hasInterruptsOnly(outcome.cause)) return
    const audit = yield* Audit
    const params = Option.match(yield* Effect.serviceOption(HttpRouter.RouteContext), {
      onNone: () => ({}),
      onSome: (context) => context.params
    })
    const pathJob = request.group === "adminTokens" || request.group === "adminUsers" ? null : jobIdOf(params)
    const status = typeof outcome === "number" ? outcome : Exit.isSuccess(outcome) ? outcome.value.status : statusOfFailure(outcome.cause)
    const ids = typeof outcome !== "number" && Exit.isSuccess(outcome) ? responseIds(outcome.value) : Option.none()
    const { job, subject } = subjectOf(request.group, params, ids, pathJob)
    yield* audit.record({
      user_id: request.user.id,
      user_name: request.user.name,
      token_id: request.token.id,
      token_name: request.token.name,
      scope: request.token.scope,
      method: request.method,
      route: request.route,
      action: `${request.group}.${request.endpoint}`,
      job_id: job,
      subject,
      status
    })
  }).pipe(
    Effect.catchCause((cause) => Effect.logError("Could not write an audit log entry", cause)),
    Effect.withSpan("Audit.recordWrite")
  )
