/**
 * Every error the job API answers with, as RFC 9457 problems (`application/problem+json`). Problems that share a
 * status are told apart by `type`. Request validation failures are rendered by `HttpApiMiddleware.ProblemDetails`
 * as `BadRequestProblem`, whose `errors` name the bad field.
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"

export const BadRequestProblem = HttpApiError.BadRequestProblem

const type = (name: string) => `urn:fishcloud:problem:${name}`


export class Unauthorized extends HttpApiError.Problem<Unauthorized>()("Unauthorized", {
  type: type("unauthorized"),
  status: 401,
  title: "Missing or invalid bearer token"
}) {}

export class DemoMode extends HttpApiError.Problem<DemoMode>()("DemoMode", {
  type: type("demo-mode"),
  status: 403,
  title: "This is a read-only demo. Deploy your own instance to run simulations."
}) {}

export class AdminOnly extends HttpApiError.Problem<AdminOnly>()("AdminOnly", {
  type: type("admin-only"),
  status: 403,
  title: "Only an administrator may do this"
}) {}

export class JobNotFound extends HttpApiError.Problem<JobNotFound>()("JobNotFound", {
  type: type("job-not-found"),
  status: 404,
  title: "Job not found"
}) {}

export class NotAvailable extends HttpApiError.Problem<NotAvailable>()("NotAvailable", {
  type: type("not-available"),
  status: 404,
  title: "Not available yet"
}) {}

export class DuplicateJob extends HttpApiError.Problem<DuplicateJob>()("DuplicateJob", {
  type: type("duplicate-job"),
  status: 409,
  title: "An identical job is already in flight"
}, { existing_job_id: Schema.Int }) {}

export class StatusConflict extends HttpApiError.Problem<StatusConflict>()("StatusConflict", {
  type: type("status-conflict"),
  status: 409,
  title: "The job's status does not allow this"
}, { job_status: Schema.String }) {}

export class IdempotencyKeyInFlight extends HttpApiError.Problem<IdempotencyKeyInFlight>()("IdempotencyKeyInFlight", {
  type: type("idempotency-key-in-flight"),
  status: 409,
  title: "A request with this Idempotency-Key is still in progress"
}) {}

export class IdempotencyKeyReused extends HttpApiError.Problem<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  type: type("idempotency-key-reused"),
  status: 422,
  title: "This Idempotency-Key was used with a different request body"
}) {}

export class DraftIncomplete extends HttpApiError.Problem<DraftIncomplete>()("DraftIncomplete", {
  type: type("draft-incomplete"),
  status: 422,
  title: "The draft is incomplete"
}, { missing: Schema.Array(Schema.String) }) {}

export class RoutingMissing extends HttpApiError.Problem<RoutingMissing>()("RoutingMissing", {
  type: type("routing-missing"),
  status: 500,
  title: "No model routing is configured for this tier"
}, { tier: Schema.String }) {}

/** Too many jobs are starting: the create is refused (with `Retry-After`) rather than queued behind them. */
export class ServiceBusy extends HttpApiError.Problem<ServiceBusy>()("ServiceBusy", {
  type: type("service-busy"),
  status: 503,
  title: "Too many jobs are starting"
}, { queued_jobs: Schema.Int, max_queued_jobs: Schema.Int, retry_after_seconds: Schema.Int }) {}

export class LifecycleUnavailable extends HttpApiError.Problem<LifecycleUnavailable>()("LifecycleUnavailable", {
  type: type("lifecycle-unavailable"),
  status: 500,
  title: "The job could not be queued"
}) {}

/** A sign-in link's code that cannot be exchanged for a session; the detail says why (unknown, used or expired). */
export class SignInLinkRefused extends HttpApiError.Problem<SignInLinkRefused>()("SignInLinkRefused", {
  type: type("sign-in-refused"),
  status: 401,
  title: "This sign-in link does not work"
}) {}

/** An unknown or revoked share token (or one whose job is gone): the same answer, so tokens cannot be probed. */
export class ShareNotFound extends HttpApiError.Problem<ShareNotFound>()("ShareNotFound", {
  type: type("share-not-found"),
  status: 404,
  title: "Shared result not found"
}) {}

/** `/api/ready` while start-up is not finished: `missing` names each part still missing. */
export class NotReady extends HttpApiError.Problem<NotReady>()("NotReady", {
  type: type("not-ready"),
  status: 503,
  title: "The service is not ready yet"
}, { missing: Schema.Array(Schema.String) }) {}

/** The object store failed while deleting a job's data: nothing was deleted that the user can no longer see. */
export class StorageUnavailable extends HttpApiError.Problem<StorageUnavailable>()("StorageUnavailable", {
  type: type("storage-unavailable"),
  status: 503,
  title: "The object store is not answering"
}) {}

/** A create, retry or launch past the user's live-job quota; it frees up when one of `live_job_ids` ends. */
export class LiveJobLimit extends HttpApiError.Problem<LiveJobLimit>()("LiveJobLimit", {
  type: type("live-job-limit"),
  status: 429,
  title: "Too many live jobs"
}, {
  limit: Schema.Literals(["max_live_jobs", "max_live_jobs_large"]),
  max_live_jobs: Schema.Int,
  live_jobs: Schema.Int,
  live_job_ids: Schema.Array(Schema.Int)
}) {}

/** A create, retry or launch once the month's spend reached the user's cap; it frees up at `resets_at`. */
export class SpendCapReached extends HttpApiError.Problem<SpendCapReached>()("SpendCapReached", {
  type: type("spend-cap-reached"),
  status: 402,
  title: "The monthly spend cap is reached"
}, {
  limit: Schema.Literal("monthly_spend_cap_usd"),
  monthly_spend_cap_usd: Schema.Number,
  month_spend_usd: Schema.Number,
  resets_at: Schema.String
}) {}

/** An administrator's request naming a user that does not exist. */
export class UserNotFound extends HttpApiError.Problem<UserNotFound>()("UserNotFound", {
  type: type("user-not-found"),
  status: 404,
  title: "No such user"
}) {}

/** Any error response's body as clients read it (the CLI, the dashboard): RFC 9457, with `errors` naming bad fields. */
export const ProblemBody = Schema.Struct({
  title: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.Array(Schema.Struct({
    path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
    message: Schema.String
  })))
})
