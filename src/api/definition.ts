/**
 * The one HttpApi definition: the server, the OpenAPI document, `/docs` and the CLI's client are derived from it.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import { MarketCurve } from "../domain/artifacts.ts"
import { JobId } from "../domain/ids.ts"
import { DraftCreate, DraftUpdate, Job, JobCreate, JobPage, JobReport, ModelRouting, SimData } from "../domain/job.ts"
import { SharedJob, ShareLink } from "../domain/share.ts"
import { SocialGraphView } from "../domain/social-graph-view.ts"
import { Tier } from "../domain/tier.ts"
import { JobTimeline } from "../domain/timeline.ts"
import { version } from "../version.ts"
import {
  AdminOnly,
  BadRequestProblem,
  DemoMode,
  DraftIncomplete,
  DuplicateJob,
  IdempotencyKeyInFlight,
  IdempotencyKeyReused,
  JobNotFound,
  LifecycleUnavailable,
  NotAvailable,
  NotReady,
  RoutingMissing,
  ServiceBusy,
  ShareNotFound,
  SignInLinkRefused,
  StatusConflict,
  StorageUnavailable
} from "./api-errors.ts"
import { Authorization } from "./security.ts"

const jobParams = { id: JobId }

/** What any path that creates a live job may answer (create, retry, draft launch). */
const admissionErrors = [DemoMode, BadRequestProblem, DuplicateJob, RoutingMissing, LifecycleUnavailable, StatusConflict, ServiceBusy] as const

const IdempotencyKeyHeader = {
  "idempotency-key": Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 255)))
}

class JobsGroup extends HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.post("create", "/", {
      payload: JobCreate,
      headers: IdempotencyKeyHeader,
      success: Job.pipe(HttpApiSchema.status(201)),
      error: [...admissionErrors, IdempotencyKeyInFlight, IdempotencyKeyReused]
    }).annotate(OpenApi.Summary, "Create a job and start its simulation"),
    HttpApiEndpoint.get("list", "/", {
      query: {
        page: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
        per_page: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
        /** The jobs after this one (a page's `next_after`); takes the place of `page`. */
        after: Schema.optionalKey(JobId)
      },
      success: JobPage
    }).annotate(OpenApi.Summary, "Your jobs, newest first (jobs replaced by a retry are hidden)"),
    HttpApiEndpoint.get("get", "/:id", { params: jobParams, success: Job, error: JobNotFound }),
    HttpApiEndpoint.delete("delete", "/:id", {
      params: jobParams,
      success: HttpApiSchema.NoContent,
      error: [JobNotFound, LifecycleUnavailable, StorageUnavailable]
    }).annotate(OpenApi.Summary, "Delete a job; a live job is cancelled first"),
    HttpApiEndpoint.post("cancel", "/:id/cancel", {
      params: jobParams,
      success: Job,
      error: [JobNotFound, StatusConflict, LifecycleUnavailable]
    }),
    HttpApiEndpoint.post("retry", "/:id/retry", {
      params: jobParams,
      success: Job.pipe(HttpApiSchema.status(201)),
      error: [JobNotFound, ...admissionErrors]
    }).annotate(OpenApi.Summary, "Start a new job from a failed or cancelled one"),
    HttpApiEndpoint.get("simData", "/:id/sim-data", { params: jobParams, success: SimData, error: [JobNotFound, NotAvailable] }),
    HttpApiEndpoint.get("report", "/:id/report", { params: jobParams, success: JobReport, error: [JobNotFound, NotAvailable] }),
    HttpApiEndpoint.get("timeline", "/:id/timeline", { params: jobParams, success: JobTimeline, error: JobNotFound })
      .annotate(OpenApi.Summary, "The job's steps (start, end, attempts, outcome) and every pod with its cost")
  )
  .middleware(Authorization)
  .prefix("/api/jobs")
{}

/** `GET /api/jobs/:id/export/pdf`: the report as a PDF download. */
const PdfFile = HttpApiSchema.WithHeaders(
  Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/pdf" })),
  { "content-disposition": Schema.String }
)

/** A job's results beyond the job itself: its graph and curves, the PDF, its share link, enrich-retry. */
class ResultsGroup extends HttpApiGroup.make("results")
  .add(
    HttpApiEndpoint.get("graph", "/:id/graph", { params: jobParams, success: SocialGraphView, error: [JobNotFound, NotAvailable] })
      .annotate(OpenApi.Summary, "Who influenced whom: agents (with activity and stance) and their follows and replies"),
    HttpApiEndpoint.get("curves", "/:id/curves", { params: jobParams, success: Schema.Array(MarketCurve), error: [JobNotFound, NotAvailable] })
      .annotate(OpenApi.Summary, "Each market's YES price, round by round"),
    HttpApiEndpoint.get("exportPdf", "/:id/export/pdf", { params: jobParams, success: PdfFile, error: [JobNotFound, StatusConflict] })
      .annotate(OpenApi.Summary, "The report as a PDF (409 while the job has no report)"),
    HttpApiEndpoint.post("share", "/:id/share", { params: jobParams, success: ShareLink, error: [JobNotFound, StatusConflict] })
      .annotate(OpenApi.Summary, "Make (or get again) the public read-only link of a completed job"),
    HttpApiEndpoint.delete("unshare", "/:id/share", { params: jobParams, success: HttpApiSchema.NoContent, error: JobNotFound })
      .annotate(OpenApi.Summary, "Revoke the job's public link"),
    HttpApiEndpoint.post("enrichRetry", "/:id/enrich-retry", {
      params: jobParams,
      success: Job.pipe(HttpApiSchema.status(202)),
      error: [JobNotFound, StatusConflict, DemoMode, LifecycleUnavailable]
    }).annotate(OpenApi.Summary, "Enrich the seed of a draft or finished job again, in the background (see its events)")
  )
  .middleware(Authorization)
  .prefix("/api/jobs")
{}

/** The public side of share links: no token needed, nothing but the shared job's results. */
class ShareGroup extends HttpApiGroup.make("share")
  .add(
    HttpApiEndpoint.get("get", "/:token", { params: { token: Schema.String }, success: SharedJob, error: ShareNotFound })
      .annotate(OpenApi.Summary, "A shared job's report, curves and graph")
  )
  .prefix("/api/share")
{}

class DraftsGroup extends HttpApiGroup.make("drafts")
  .add(
    HttpApiEndpoint.post("create", "/", {
      payload: DraftCreate,
      success: Job.pipe(HttpApiSchema.status(201)),
      error: [DemoMode, BadRequestProblem]
    }),
    HttpApiEndpoint.patch("update", "/:id", {
      params: jobParams,
      payload: DraftUpdate,
      success: Job,
      error: [JobNotFound, StatusConflict, DemoMode, BadRequestProblem]
    }),
    HttpApiEndpoint.post("launch", "/:id/launch", {
      params: jobParams,
      success: Job,
      error: [JobNotFound, DraftIncomplete, ...admissionErrors]
    }).annotate(OpenApi.Summary, "Check a draft like a new job and start it")
  )
  .middleware(Authorization)
  .prefix("/api/jobs/draft")
{}

class RoutingGroup extends HttpApiGroup.make("routing")
  .add(
    HttpApiEndpoint.get("list", "/", { success: Schema.Array(ModelRouting) }),
    HttpApiEndpoint.put("set", "/:tier", {
      params: { tier: Tier },
      payload: ModelRouting.mapFields((fields) => {
        const { sim_tier: _, ...rest } = fields
        return rest
      }),
      success: ModelRouting,
      error: AdminOnly
    }).annotate(OpenApi.Summary, "Set what a tier runs on (administrators)")
  )
  .middleware(Authorization)
  .prefix("/api/routing")
{}

const Health = Schema.Struct({
  status: Schema.Literals(["ok", "degraded"]),
  version: Schema.String,
  database: Schema.Literals(["connected", "disconnected"])
})

/** Who a session or API token belongs to, as the dashboard shows it. */
const SessionUser = Schema.Struct({ name: Schema.String, admin: Schema.Boolean })

/** A dashboard session: a bearer token like an API token that stops working at `expires_at` (ISO 8601). */
const Session = Schema.Struct({ token: Schema.String, expires_at: Schema.String, user: SessionUser })

/**
 * Dashboard sign-in. `POST /api/session` is public: it exchanges the one-time code of a sign-in link (first start's
 * log, `fishcloud sign-in`) for a session token. `GET /api/me` tells whose a token is (401 once a session expired).
 */
class SessionGroup extends HttpApiGroup.make("session")
  .add(
    HttpApiEndpoint.post("signIn", "/session", {
      payload: Schema.Struct({ code: Schema.String.check(Schema.isBetweenLength(1, 200)) }),
      success: Session,
      error: [SignInLinkRefused, BadRequestProblem]
    }).annotate(OpenApi.Summary, "Exchange a one-time sign-in code for a session token (401 when unknown, used or expired)"),
    HttpApiEndpoint.get("me", "/me", { success: SessionUser })
      .middleware(Authorization)
      .annotate(OpenApi.Summary, "Whose the bearer token is")
  )
  .prefix("/api")
{}

class SystemGroup extends HttpApiGroup.make("system")
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health })
      .annotate(OpenApi.Summary, "Liveness: the process answers (and whether the database does)"),
    HttpApiEndpoint.get("ready", "/ready", {
      success: Schema.Struct({ status: Schema.Literal("ready"), version: Schema.String }),
      error: NotReady
    }).annotate(OpenApi.Summary, "Readiness: 200 once the database is reachable and migrated and start-up is done, else 503 naming what is missing"),
    HttpApiEndpoint.get("config", "/config", {
      success: Schema.Struct({ demo_mode: Schema.Boolean, max_seed_chars: Schema.Int, version: Schema.String })
    })
  )
  .prefix("/api")
{}

/**
 * `GET /api/jobs/{id}/events` is served by a plain router route (`src/api/server/event-stream.ts`): it is added to the
 * OpenAPI document here so the document still lists every route.
 */
const withEventStream = (spec: Record<string, unknown>): Record<string, unknown> => ({
  ...spec,
  paths: {
    ...(typeof spec["paths"] === "object" ? spec["paths"] : {}),
    "/api/jobs/{id}/events": {
      get: {
        tags: ["jobs"],
        operationId: "jobs.events",
        summary: "The job's events as Server-Sent Events, until its terminal status event",
        description: "Each event: `id:` its sequence number, `event:` its kind (status, stage, progress, pod, cost, enrichment), " +
          "`data:` the event's JSON plus `at`. `Last-Event-ID` (or `?after=N`) resumes after that event. An idle stream " +
          "sends `: keep-alive` comments. The stream ends after the COMPLETED, FAILED or CANCELLED status event.",
        security: [{ bearer: [] }],
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "integer", exclusiveMinimum: 0 } },
          { name: "after", in: "query", required: false, schema: { type: "integer", minimum: 0 } },
          { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } }
        ],
        responses: {
          "200": { description: "The event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
          "400": { description: "Last-Event-ID or after is not an integer >= 0" },
          "401": { description: "Missing or invalid bearer token" },
          "404": { description: "Job not found" }
        }
      }
    }
  }
})

export class Api extends HttpApi.make("fishcloud")
  .add(JobsGroup)
  .add(ResultsGroup)
  .add(ShareGroup)
  .add(DraftsGroup)
  .add(RoutingGroup)
  .add(SystemGroup)
  .add(SessionGroup)
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotateMerge(OpenApi.annotations({
    title: "fishcloud",
    version,
    description: "Run multi-agent simulation jobs on ephemeral GPU pods",
    transform: withEventStream
  }))
{}
