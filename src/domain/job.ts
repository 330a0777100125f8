/**
 * What a job looks like at the API boundary: the create/draft payloads and the job as users see it.
 * Checks that need settings (seed length, duplicate window) live in `src/api/job-admission.ts`.
 */
import { Effect, Schema } from "effect"
import { JobId, UserId } from "./ids.ts"
import { StructuredReport } from "./report.ts"
import { JobStatus } from "./status.ts"
import { Tier } from "./tier.ts"

/** Postgres text cannot hold NUL; rejecting it here keeps such input a 400 instead of a database error. */
const Text = Schema.String.check(Schema.isPattern(/^[^\u0000]*$/, { message: "must not contain NUL characters" }))
const NotBlank = Text.check(Schema.isPattern(/\S/, { message: "must not be blank" }))

export const ForecastDays = Schema.Int.check(
  Schema.isBetween({ minimum: 1, maximum: 365 }, { message: "must be an integer from 1 to 365" })
)

const enrichWebDefault = Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(true)))

/** `POST /api/jobs`. */
export const JobCreate = Schema.Struct({
  seed_text: NotBlank,
  goal: NotBlank,
  tier: Tier,
  enrich_web: enrichWebDefault,
  forecast_days: ForecastDays
}).annotate({
  examples: [{
    seed_text: "Mayor Alvarez and the Harbour Council vote on the tram line on Tuesday. Riders United supports it; " +
      "the Chamber of Commerce opposes it over the construction years.",
    goal: "Will the council approve the tram line?",
    tier: "small",
    enrich_web: true,
    forecast_days: 30
  }]
})
export type JobCreate = typeof JobCreate.Type

/** `POST /api/jobs/draft`: everything optional, completed later with PATCH and checked at launch. */
export const DraftCreate = Schema.Struct({
  seed_text: Schema.optionalKey(Text),
  goal: Schema.optionalKey(Text),
  tier: Schema.optionalKey(Tier),
  enrich_web: enrichWebDefault,
  forecast_days: Schema.optionalKey(ForecastDays)
}).annotate({
  examples: [{ seed_text: "The council votes on the tram line on Tuesday.", enrich_web: true }]
})
export type DraftCreate = typeof DraftCreate.Type

/** `PATCH /api/jobs/draft/:id`: only the fields present are changed; `null` clears a field. */
export const DraftUpdate = Schema.Struct({
  seed_text: Schema.optionalKey(Text),
  goal: Schema.optionalKey(Schema.NullOr(Text)),
  tier: Schema.optionalKey(Schema.NullOr(Tier)),
  enrich_web: Schema.optionalKey(Schema.Boolean),
  forecast_days: Schema.optionalKey(Schema.NullOr(ForecastDays))
})
export type DraftUpdate = typeof DraftUpdate.Type

export const Citation = Schema.Struct({ url: Schema.String, title: Schema.String })

/** A job as its owner sees it. Large results (chat log, graph, report) have their own endpoints. */
export const Job = Schema.Struct({
  id: JobId,
  user_id: UserId,
  seed_text: Schema.String,
  goal: Schema.NullOr(Schema.String),
  tier: Schema.NullOr(Tier),
  enrich_web: Schema.Boolean,
  forecast_days: Schema.NullOr(Schema.Int),
  status: JobStatus,
  pipeline_stage: Schema.NullOr(Schema.Int),
  error_message: Schema.NullOr(Schema.String),
  key_insight: Schema.NullOr(Schema.String),
  enriched_seed: Schema.NullOr(Schema.String),
  enrichment_citations: Schema.NullOr(Schema.Array(Citation)),
  /** Any JSON, null included: the markets derived for the job (null before derivation). */
  markets_config: Schema.Json,
  /** While RUNNING: the latest `progress` event's data (round, max_rounds, log lines, recent posts); else null. */
  live_status: Schema.Json,
  sim_data_available: Schema.Boolean,
  retry_of: Schema.NullOr(JobId),
  provision_seconds: Schema.NullOr(Schema.Number),
  pipeline_seconds: Schema.NullOr(Schema.Number),
  gpu_cost_usd: Schema.NullOr(Schema.Number),
  /** LLM tokens of the job's enrichment, markets and report, and their estimated cost. */
  llm_input_tokens: Schema.Int,
  llm_output_tokens: Schema.Int,
  llm_cost_usd: Schema.Number,
  created_at: Schema.String,
  updated_at: Schema.String,
  phase_entered_at: Schema.String,
  completed_at: Schema.NullOr(Schema.String)
})
export type Job = typeof Job.Type

export const JobPage = Schema.Struct({
  jobs: Schema.Array(Job),
  total: Schema.Int,
  /** The page number asked for (1 when the page was asked for with `after`). */
  page: Schema.Int,
  per_page: Schema.Int,
  /** Pass as `after` for the next page (faster than page numbers deep into a long list); null on the last page. */
  next_after: Schema.NullOr(Schema.Int)
})
export type JobPage = typeof JobPage.Type

/** The analyst report of a finished job. */
export const JobReport = Schema.Struct({
  job_id: JobId,
  /** Markdown. As served to readers it has passed through `readerMarkdown` (no `### slot=X — ` markup). */
  report: Schema.String,
  key_insight: Schema.NullOr(Schema.String),
  /** The nine parts (`src/domain/report.ts`); reports written before the six artifact parts existed have three. */
  structured: Schema.NullOr(StructuredReport)
})
export type JobReport = typeof JobReport.Type

/** Download URLs of a job's simulation artifacts (file name -> URL). */
export const SimData = Schema.Struct({
  job_id: JobId,
  files: Schema.Record(Schema.String, Schema.String)
})
export type SimData = typeof SimData.Type

/** One row of `model_routing`: what a tier runs on. */
export const ModelRouting = Schema.Struct({
  sim_tier: Tier,
  model_id: NotBlank,
  gpu_type: NotBlank,
  max_rounds: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 })),
  target_agents: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000 })),
  vllm_args: Schema.NullOr(Text)
})
export type ModelRouting = typeof ModelRouting.Type

/** What the lifecycle needs of a job (journaled by its first step); large text (seed) is read where it is used. */
export const JobFacts = Schema.Struct({
  id: Schema.Int,
  status: JobStatus,
  tier: Tier,
  goal: Schema.String,
  enrich_web: Schema.Boolean,
  forecast_days: Schema.Int,
  routing: ModelRouting
})
export type JobFacts = typeof JobFacts.Type
