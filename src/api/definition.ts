/**
 * The one HttpApi definition: the server, the OpenAPI document, `/docs` and the CLI's client are derived from it.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import { JobId } from "../domain/ids.ts"
import { DraftCreate, DraftUpdate, Job, JobCreate, JobPage, JobReport, ModelRouting, SimData } from "../domain/job.ts"
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
  RoutingMissing,
  ServiceBusy,
  StatusConflict
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
      error: [JobNotFound, LifecycleUnavailable]
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

class SystemGroup extends HttpApiGroup.make("system")
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health }),
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
        description: "Each event: `id:` its sequence number, `event:` its kind (status, stage, progress, pod, cost), " +
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
  .add(DraftsGroup)
  .add(RoutingGroup)
  .add(SystemGroup)
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotateMerge(OpenApi.annotations({
    title: "fishcloud",
    version,
    description: "Run multi-agent simulation jobs on ephemeral GPU pods",
    transform: withEventStream
  }))
{}
