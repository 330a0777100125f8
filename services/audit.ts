/**
 * The audit log: one entry per state-changing request (who, with which token, what, on which job, the outcome and
 * when), written by the API's authorization middleware for every write route and readable by administrators. An entry
 * never holds a request body: only the route, the job id and an allow-listed subject (a tier, a token's id and name,
 * a user's name). Database failures are defects, turned so inside the layer.
 */
import { Context, type Effect, type Option, Schema } from "effect"

/** What is recorded of one request. */
export const AuditRecord = Schema.Struct({
  user_id: Schema.NullOr(Schema.Int),
  user_name: Schema.String,
  token_id: Schema.NullOr(Schema.Int),
  token_name: Schema.NullOr(Schema.String),
  scope: Schema.NullOr(Schema.String),
  method: Schema.String,
  /** The route's template, e.g. `/api/jobs/:id/cancel`. */
  route: Schema.String,
  /** `group.endpoint` of the HttpApi definition, e.g. `jobs.cancel`. */
  action: Schema.String,
  job_id: Schema.NullOr(Schema.Int),
  /** An allow-listed summary of what was acted on besides the job (never a body's secret). */
  subject: Schema.NullOr(Schema.String),
  /** The HTTP status answered. */
  status: Schema.Int
})
export type AuditRecord = typeof AuditRecord.Type

/** A recorded entry: the record, its id and when (ISO 8601). */
export const AuditEntry = Schema.Struct({ id: Schema.Int, at: Schema.String, ...AuditRecord.fields })
export type AuditEntry = typeof AuditEntry.Type

/** A page of entries, newest first. */
export const AuditPage = Schema.Struct({
  entries: Schema.Array(AuditEntry),
  page: Schema.Int,
  per_page: Schema.Int,
  total: Schema.Int
})
export type AuditPage = typeof AuditPage.Type

export interface AuditQuery {
  readonly user: Option.Option<string>
  readonly job: Option.Option<number>
  readonly since: Option.Option<Date>
  readonly page: number
  readonly perPage: number
}

export class Audit extends Context.Service<Audit, {
  /** Records one request. */
  readonly record: (entry: AuditRecord) => Effect.Effect<void>
  /** Entries newest first, of one user, one job and from `since` when given. */
  readonly list: (query: AuditQuery) => Effect.Effect<AuditPage>
}>()("fishcloud/services/Audit") {}
