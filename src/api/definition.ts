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
import { QuotaView, Usage, UserQuotas } from "../domain/quota.ts"
import { JobStatus } from "../domain/status.ts"
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
  LiveJobLimit,
  NotAvailable,
  NotReady,
  RoutingMissing,
  ServiceBusy,
  ShareNotFound,
  SignInLinkRefused,
  SpendCapReached,
  StatusConflict,
  StorageUnavailable,
  UserNotFound
} from "./api-errors.ts"
import { AccountMissing, AccountExists, AccountRequestRefused, Authorization, RequiredScope } from "./security.ts"
import { AccountUser, TokenInfo, TokenScope } from "../../services/accounts.ts"
import { AuditPage } from "../../services/audit.ts"

const jobParams = { id: JobId }

/** A user's or token's name: Postgres text cannot hold NUL, so one with NUL is a 400, not a database error. */
const Name = (maxLength: number) =>
  Schema.String.check(
    Schema.isBetweenLength(1, maxLength),
    Schema.isPattern(/^[^\u0000]*$/, { message: "must not contain NUL characters" })
  )

/** An operation's summary (one line) and description (what it checks, what it answers) in the OpenAPI document. */
const doc = (summary: string, description: string) => OpenApi.annotations({ summary, description })

/** What any path that creates a live job may answer (create, retry, draft launch). */
const admissionErrors = [
  DemoMode,
  BadRequestProblem,
  DuplicateJob,
  RoutingMissing,
  LifecycleUnavailable,
  StatusConflict,
  ServiceBusy,
  LiveJobLimit,
  SpendCapReached
] as const

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
    }).annotateMerge(doc(
        "Create a job and start its simulation",
        "Checks the job (seed length, an identical job within DUPLICATE_WINDOW_SECONDS, the tier's routing, the queue's back-pressure) and starts its durable workflow in the same transaction. Send `Idempotency-Key` to make retries safe."
      )),
    HttpApiEndpoint.get("list", "/", {
      query: {
        page: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
        per_page: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
        /** The jobs after this one (a page's `next_after`); takes the place of `page`. */
        after: Schema.optionalKey(JobId),
        /** Only jobs in this status. */
        status: Schema.optionalKey(JobStatus)
      },
      success: JobPage
    }).annotateMerge(doc(
        "Your jobs, newest first (jobs replaced by a retry are hidden)",
        "Pages by number (`page`, `per_page` up to 100) or, as fast deep in the list as on page 1, by `after` = the previous page's `next_after`. `total` may lag other processes' creates and deletes by 2 s."
      )),
    HttpApiEndpoint.get("get", "/:id", { params: jobParams, success: Job, error: JobNotFound }).annotateMerge(doc(
      "One of your jobs",
      "Status, pipeline stage, live progress while RUNNING, costs and timings. Another user's job answers 404 like a missing one."
    )),
    HttpApiEndpoint.delete("delete", "/:id", {
      params: jobParams,
      success: HttpApiSchema.NoContent,
      error: [JobNotFound, LifecycleUnavailable, StorageUnavailable]
    }).annotateMerge(doc(
        "Delete a job; a live job is cancelled first",
        "Deletes the job's artifacts and report from the object store, then its row and its share link. When the store fails the job is kept (503 `storage-unavailable`): delete it again."
      )),
    HttpApiEndpoint.post("cancel", "/:id/cancel", {
      params: jobParams,
      success: Job,
      error: [JobNotFound, StatusConflict, LifecycleUnavailable]
    }).annotateMerge(doc(
      "Cancel a live job",
      "Moves it to CANCELLED and stops its workflow, which terminates its pods at once. 409 when the job is not live."
    )),
    HttpApiEndpoint.post("retry", "/:id/retry", {
      params: jobParams,
      success: Job.pipe(HttpApiSchema.status(201)),
      error: [JobNotFound, ...admissionErrors]
    }).annotateMerge(doc(
        "Start a new job from a failed or cancelled one",
        "Copies the seed, goal, tier and settings of a FAILED or CANCELLED job into a new job whose `retry_of` names it; every create check applies."
      )),
    HttpApiEndpoint.get("simData", "/:id/sim-data", { params: jobParams, success: SimData, error: [JobNotFound, NotAvailable] }).annotateMerge(doc(
      "Download URLs of the job's artifacts",
      "One presigned URL per artifact file present in the object store, valid for an hour; 404 while there are none."
    )),
    HttpApiEndpoint.get("report", "/:id/report", { params: jobParams, success: JobReport, error: [JobNotFound, NotAvailable] }).annotateMerge(doc(
      "The job's analyst report",
      "The report's markdown (as readers see it), its key insight and the structured result: brief, verdict, findings and the six parts built from the artifacts. 404 until the report is written."
    )),
    HttpApiEndpoint.get("timeline", "/:id/timeline", { params: jobParams, success: JobTimeline, error: JobNotFound })
      .annotateMerge(doc(
        "The job's steps (start, end, attempts, outcome) and every pod with its cost",
        "Steps are derived from the job's events; each pod has its GPU, price, request, ready and termination times, why it ended, and its cost so far."
      ))
  )
  .middleware(Authorization)
  .prefix("/api/jobs")
  .annotate(OpenApi.Description, "Your simulation jobs: create, list, read, cancel, retry and delete them; their artifacts, report and timeline.")
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
      .annotateMerge(doc(
        "Who influenced whom: agents (with activity and stance) and their follows and replies",
        "Built from the stored artifacts (`social_graph.json`, `chat_log.json`, `profiles.json`); repeated edges are folded into one with a weight. 404 until the artifacts exist."
      )),
    HttpApiEndpoint.get("curves", "/:id/curves", { params: jobParams, success: Schema.Array(MarketCurve), error: [JobNotFound, NotAvailable] })
      .annotateMerge(doc(
        "Each market's YES price, round by round",
        "`market_curves.json` as the pod stored it; 404 until it exists."
      )),
    HttpApiEndpoint.get("exportPdf", "/:id/export/pdf", { params: jobParams, success: PdfFile, error: [JobNotFound, StatusConflict] })
      .annotateMerge(doc(
        "The report as a PDF (409 while the job has no report)",
        "Title, key insight, the findings as cards, the report body and one chart per market, as an attachment named `fishcloud-job-<id>.pdf`."
      )),
    HttpApiEndpoint.post("share", "/:id/share", { params: jobParams, success: ShareLink, error: [JobNotFound, StatusConflict] })
      .annotateMerge(doc(
        "Make (or get again) the public read-only link of a completed job",
        "Only a COMPLETED job (409 otherwise). Idempotent: sharing again returns the same link until it is revoked. The link is `{PUBLIC_URL}/s/{token}`."
      )),
    HttpApiEndpoint.delete("unshare", "/:id/share", { params: jobParams, success: HttpApiSchema.NoContent, error: JobNotFound })
      .annotateMerge(doc(
        "Revoke the job's public link",
        "The token stops working at once; sharing again makes a new one."
      )),
    HttpApiEndpoint.post("enrichRetry", "/:id/enrich-retry", {
      params: jobParams,
      success: Job.pipe(HttpApiSchema.status(202)),
      error: [JobNotFound, StatusConflict, DemoMode, LifecycleUnavailable]
    }).annotateMerge(doc(
        "Enrich the seed of a draft or finished job again, in the background (see its events)",
        "Runs the seed enrichment again from the seed as submitted; the job's events say `enrichment requested`, then `completed` or `failed` with the reason. 409 while the job is live (its seed is in use) or has no goal."
      ))
  )
  .middleware(Authorization)
  .prefix("/api/jobs")
  .annotate(OpenApi.Description, "A job's results beyond the job itself: the social graph, the market curves, the PDF, the public share link, enrich-retry.")
{}

/** The public side of share links: no token needed, nothing but the shared job's results. */
class ShareGroup extends HttpApiGroup.make("share")
  .add(
    HttpApiEndpoint.get("get", "/:token", { params: { token: Schema.String }, success: SharedJob, error: ShareNotFound })
      .annotateMerge(doc(
        "A shared job's report, curves and graph",
        "No token needed. Only the goal, key insight, report, curves and graph of the shared job; an unknown or revoked token, or a deleted job, answers 404."
      ))
  )
  .prefix("/api/share")
  .annotate(OpenApi.Description, "Public share links: a completed job's results, readable without a token.")
{}

class DraftsGroup extends HttpApiGroup.make("drafts")
  .add(
    HttpApiEndpoint.post("create", "/", {
      payload: DraftCreate,
      success: Job.pipe(HttpApiSchema.status(201)),
      error: [DemoMode, BadRequestProblem]
    }).annotateMerge(doc(
      "Save an incomplete job",
      "Every field is optional; nothing starts until the draft is launched."
    )),
    HttpApiEndpoint.patch("update", "/:id", {
      params: jobParams,
      payload: DraftUpdate,
      success: Job,
      error: [JobNotFound, StatusConflict, DemoMode, BadRequestProblem]
    }).annotateMerge(doc(
      "Edit a draft",
      "Only the fields present change; `null` clears one. 409 when the job is no longer a draft."
    )),
    HttpApiEndpoint.post("launch", "/:id/launch", {
      params: jobParams,
      success: Job,
      error: [JobNotFound, DraftIncomplete, ...admissionErrors]
    }).annotateMerge(doc(
        "Check a draft like a new job and start it",
        "422 lists the missing fields; then every create check applies and the job's workflow starts."
      ))
  )
  .middleware(Authorization)
  .prefix("/api/jobs/draft")
  .annotate(OpenApi.Description, "Drafts: jobs saved incomplete, edited, then launched like a new job.")
{}

class RoutingGroup extends HttpApiGroup.make("routing")
  .add(
    HttpApiEndpoint.get("list", "/", { success: Schema.Array(ModelRouting) }).annotateMerge(doc(
      "What each tier runs on",
      "Model, GPU type, rounds, agents and vLLM arguments of each tier."
    )),
    HttpApiEndpoint.put("set", "/:tier", {
      params: { tier: Tier },
      payload: ModelRouting.mapFields((fields) => {
        const { sim_tier: _, ...rest } = fields
        return rest
      }),
      success: ModelRouting,
      error: AdminOnly
    }).annotateMerge(doc(
        "Set what a tier runs on (administrators)",
        "Model, GPU type, rounds, agents and vLLM arguments of a tier; administrator tokens only (403 otherwise)."
      ))
  )
  .middleware(Authorization)
  .prefix("/api/routing")
  .annotate(OpenApi.Description, "Routing: what each tier runs on (model, GPU, rounds, agents).")
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
    }).annotateMerge(doc(
        "Exchange a one-time sign-in code for a session token (401 when unknown, used or expired)",
        "The code comes from a sign-in link (`/sign-in#code=...`, logged at first start or printed by `fishcloud sign-in`); it works once and expires after SIGN_IN_CODE_TTL_MINUTES. The session token expires after SESSION_TTL_HOURS."
      )),
    HttpApiEndpoint.get("me", "/me", { success: SessionUser })
      .middleware(Authorization)
      .annotateMerge(doc(
        "Whose the bearer token is",
        "The token's user name and whether it is an administrator; 401 with an expired, unknown or missing token."
      ))
  )
  .prefix("/api")
  .annotate(OpenApi.Description, "Dashboard sign-in: one-time sign-in codes exchanged for expiring session tokens.")
{}

/** A user's use this month and the quotas it is checked against (`fishcloud usage`). */
class UsageGroup extends HttpApiGroup.make("usage")
  .add(
    HttpApiEndpoint.get("get", "/usage", {
      query: {
        /** Another user's usage (administrators only). */
        user: Schema.optionalKey(Name(200)),
        /** A calendar month, `YYYY-MM` (UTC); this month when absent. */
        month: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])$/)))
      },
      success: Usage,
      error: [AdminOnly, UserNotFound]
    }).annotateMerge(doc(
        "Your live jobs and this month's GPU + LLM spend, with the quotas they are checked against",
        "Live jobs (all tiers, and large), the jobs created in the month (UTC) and what they cost (a live job's GPU cost so far), the quotas that apply (yours, or the DEFAULT_* settings) and when the month's spend resets. Administrators may pass `user`."
      ))
  )
  .middleware(Authorization)
  .prefix("/api")
  .annotate(OpenApi.Description, "Usage: live jobs and the month's spend against your quotas.")
{}

/** Administrators set each user's quotas; a user without their own gets the DEFAULT_* settings. */
class AdminQuotasGroup extends HttpApiGroup.make("adminQuotas")
  .add(
    HttpApiEndpoint.get("get", "/:user", { params: { user: Name(200) }, success: QuotaView, error: [AdminOnly, UserNotFound] })
      .annotateMerge(doc(
        "The quotas that apply to a user (administrators)",
        "`source` says whether they are the user's own (`set`) or the DEFAULT_* settings (`default`)."
      )),
    HttpApiEndpoint.put("set", "/:user", {
      params: { user: Name(200) },
      payload: UserQuotas,
      success: QuotaView,
      error: [AdminOnly, UserNotFound, BadRequestProblem]
    }).annotateMerge(doc(
        "Set a user's quotas (administrators)",
        "Each limit: a number, or null for no limit. `max_live_jobs` 0 lets the user start no job. Applies to the next create, launch or retry; running jobs are never stopped."
      ))
  )
  .middleware(Authorization)
  .prefix("/api/admin/quotas")
  .annotate(OpenApi.Description, "Quotas: each user's live-job limits and monthly spend cap (administrators).")
{}

class SystemGroup extends HttpApiGroup.make("system")
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health })
      .annotateMerge(doc(
        "Liveness: the process answers (and whether the database does)",
        "Cheap, for liveness probes: 200 while the process answers; `database` says whether Postgres does."
      )),
    HttpApiEndpoint.get("ready", "/ready", {
      success: Schema.Struct({ status: Schema.Literal("ready"), version: Schema.String }),
      error: NotReady
    }).annotateMerge(doc(
        "Readiness: 200 once the database is reachable and migrated and start-up is done, else 503 naming what is missing",
        "For readiness probes and load balancers: 503 with `missing` naming each part not ready (the database, its migrations, the first-start bootstrap, the runner's registration)."
      )),
    HttpApiEndpoint.get("config", "/config", {
      success: Schema.Struct({ demo_mode: Schema.Boolean, max_seed_chars: Schema.Int, version: Schema.String })
    }).annotateMerge(doc(
      "The public settings clients need",
      "Whether this is a read-only demo, the longest seed accepted (in characters) and the version."
    ))
  )
  .prefix("/api")
  .annotate(OpenApi.Description, "Liveness, readiness and the public settings; no token needed.")
{}

/**
 * `GET /api/jobs/{id}/events` and `GET /api/events` are served by plain router routes
 * (`src/api/server/event-stream.ts`): they are added to the OpenAPI document here so it still lists every route.
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
    },
    "/api/events": {
      get: {
        tags: ["jobs"],
        operationId: "jobs.listEvents",
        summary: "Live events of several of your jobs at once, for a list that shows live statuses",
        description: "The same blocks as a job's event stream, for up to 100 jobs, from now on only: no `id:` lines and " +
          "no resume (a client that reconnects reads the jobs again first); each `data:` also carries `job_id`. Ids " +
          "that are not your jobs are ignored. The stream ends when every job it follows is terminal.",
        security: [{ bearer: [] }],
        parameters: [
          { name: "jobs", in: "query", required: true, schema: { type: "string" }, description: "Comma-separated job ids (1 to 100)" }
        ],
        responses: {
          "200": { description: "The event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
          "400": { description: "jobs is missing, not a list of job ids, or longer than 100" },
          "401": { description: "Missing or invalid bearer token" }
        }
      }
    }
  }
})

/** Administration: users and their tokens (admin scope only, like everything under `/api/admin`). */
class AdminUsersGroup extends HttpApiGroup.make("adminUsers")
  .add(
    HttpApiEndpoint.post("create", "/", {
      payload: Schema.Struct({
        name: Name(200),
        admin: Schema.optionalKey(Schema.Boolean)
      }),
      success: AccountUser.pipe(HttpApiSchema.status(201)),
      error: [AccountExists, AccountRequestRefused, BadRequestProblem]
    }).annotateMerge(doc(
      "Create a user (administrators)",
      "A user with no token yet; issue one with `POST /api/admin/tokens`. 409 when the name is taken."
    )),
    HttpApiEndpoint.get("list", "/", { success: Schema.Array(AccountUser) }).annotateMerge(doc(
      "Every user (administrators)",
      "Name, administrator or not, when created, and how many tokens still work."
    ))
  )
  .middleware(Authorization)
  .annotate(RequiredScope, "admin")
  .prefix("/api/admin/users")
  .annotate(OpenApi.Description, "Users (administrators only): create and list them.")
{}

/** A token just issued: the token itself (shown once, never again) and what it is. */
const IssuedToken = Schema.Struct({ token: Schema.String, info: TokenInfo })

class AdminTokensGroup extends HttpApiGroup.make("adminTokens")
  .add(
    HttpApiEndpoint.post("issue", "/", {
      payload: Schema.Struct({
        user: Name(200),
        name: Name(100),
        scope: TokenScope,
        /** When the token stops working (ISO 8601); never when absent. */
        expires_at: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 64)))
      }),
      success: IssuedToken.pipe(HttpApiSchema.status(201)),
      error: [AccountMissing, AccountRequestRefused, BadRequestProblem]
    }).annotateMerge(doc(
      "Issue a named token for a user (administrators); the token is in this answer only",
      "Scope `read` (only reads), `submit` (also creates, cancels, retries, deletes and shares jobs) or `admin` (also users, tokens, routing and quotas; administrators' tokens only). Only its SHA-256 is stored."
    )),
    HttpApiEndpoint.get("list", "/", {
      query: { user: Schema.optionalKey(Name(200)) },
      success: Schema.Array(TokenInfo)
    }).annotateMerge(doc(
      "Every token, newest first (administrators): never the token itself",
      "Id, name, scope, kind (api or session), user, created, expires, last used (kept to the minute) and revoked."
    )),
    HttpApiEndpoint.post("revoke", "/:id/revoke", {
      params: { id: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 2_147_483_647 })) },
      success: TokenInfo,
      error: AccountMissing
    }).annotateMerge(doc(
      "Revoke a token (administrators)",
      "From then on a request with it answers 401 \"This token was revoked\" (at once on this process, within 5 s on others). Revoking again changes nothing."
    ))
  )
  .middleware(Authorization)
  .annotate(RequiredScope, "admin")
  .prefix("/api/admin/tokens")
  .annotate(OpenApi.Description, "API tokens (administrators only): issue, list and revoke them.")
{}

class AdminAuditGroup extends HttpApiGroup.make("adminAudit")
  .add(
    HttpApiEndpoint.get("list", "/", {
      query: {
        user: Schema.optionalKey(Name(200)),
        job: Schema.optionalKey(JobId),
        /** Entries from this time on (ISO 8601). */
        since: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 64))),
        page: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
        per_page: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 500 })))
      },
      success: AuditPage,
      error: BadRequestProblem
    }).annotateMerge(doc(
      "The audit log, newest first (administrators)",
      "One entry per state-changing request: user, token name and scope, method, route, action, job, subject, status and time. Filters: `user`, `job`, `since`; pages of `per_page` (up to 500)."
    ))
  )
  .middleware(Authorization)
  .annotate(RequiredScope, "admin")
  .prefix("/api/admin/audit")
  .annotate(OpenApi.Description, "The audit log of every state-changing request (administrators only).")
{}

export class Api extends HttpApi.make("fishcloud")
  .add(JobsGroup)
  .add(ResultsGroup)
  .add(ShareGroup)
  .add(DraftsGroup)
  .add(RoutingGroup)
  .add(SystemGroup)
  .add(SessionGroup)
  .add(AdminUsersGroup)
  .add(AdminTokensGroup)
  .add(AdminAuditGroup)
  .add(UsageGroup)
  .add(AdminQuotasGroup)
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotateMerge(OpenApi.annotations({
    title: "fishcloud",
    version,
    description: "Run multi-agent simulation jobs on ephemeral GPU pods",
    // The service that serves this document: clients resolve every path against where they fetched it.
    servers: [{ url: "/", description: "this fishcloud service" }],
    transform: withEventStream
  }))
{}
