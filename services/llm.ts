/**
 * The LLM steps of a job: seed enrichment and market derivation before any GPU work, the analyst report after.
 * Offline implementations (no keys) ship by default; the LLM-backed ones use xAI and Anthropic.
 */
import { Context, Effect, Schema } from "effect"
import { Citation } from "../src/domain/job.ts"
import type { JobId } from "../src/domain/ids.ts"
import type { Market } from "../src/domain/market.ts"
import type { Tier } from "../src/domain/tier.ts"

export const Enrichment = Schema.Struct({ summary: Schema.String, citations: Schema.Array(Citation) })
export type Enrichment = typeof Enrichment.Type

export class LlmError extends Schema.TaggedError<LlmError>()("LlmError", {
  /** transient: worth retrying later (429, 5xx, timeouts); permanent: it will fail again. */
  kind: Schema.Literals(["transient", "permanent"]),
  message: Schema.String
}) {}

export class Enricher extends Context.Service<Enricher, {
  /** Background research for the seed, or none (no key, nothing found). Fail-soft callers treat errors as none. */
  readonly enrich: (input: { readonly seedText: string; readonly goal: string }) => Effect.Effect<Enrichment | undefined, LlmError>
}>()("fishcloud/services/Enricher") {}

export class MarketDeriver extends Context.Service<MarketDeriver, {
  /** Up to the tier's cap of binary markets for the goal; none when the goal gives no yes/no question. */
  readonly derive: (
    input: { readonly goal: string; readonly seedText: string; readonly tier: Tier }
  ) => Effect.Effect<ReadonlyArray<Market>, LlmError>
}>()("fishcloud/services/MarketDeriver") {}

/** One finding of the report: `### slot=X — Title` blocks under `## Key Findings`. */
export const Finding = Schema.Struct({
  slot: Schema.String,
  title: Schema.String,
  body: Schema.String,
  citation: Schema.NullOr(Schema.String)
})
export type Finding = typeof Finding.Type

export const StructuredReport = Schema.Struct({
  brief: Schema.String,
  verdict: Schema.String,
  findings: Schema.Array(Finding)
})
export type StructuredReport = typeof StructuredReport.Type

export interface WrittenReport {
  readonly markdown: string
  readonly structured: StructuredReport
  readonly keyInsight: string | null
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number }
}

export class ReportWriter extends Context.Service<ReportWriter, {
  /** Reads the job's artifacts from the object store and writes the analyst report. */
  readonly write: (
    input: { readonly jobId: JobId; readonly goal: string; readonly forecastDays: number }
  ) => Effect.Effect<WrittenReport, LlmError>
}>()("fishcloud/services/ReportWriter") {}

/** One LLM call's usage, as the provider reported it, with its estimated cost. */
export interface LlmUsage {
  /** `enrichment`, `markets`, `report`. */
  readonly step: string
  readonly provider: string
  readonly model: string
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** The job the current LLM calls are made for; set by the lifecycle activities. */
export const CurrentJob = Context.Reference<JobId | undefined>("fishcloud/services/CurrentJob", { defaultValue: () => undefined })

/**
 * Where the LLM layers that call a provider report each call's usage (tokens and estimated cost, per job): a
 * required dependency of those layers, so usage can never be dropped silently. Offline layers make no calls.
 */
export class LlmUsageRecorder extends Context.Service<LlmUsageRecorder, {
  readonly record: (usage: LlmUsage) => Effect.Effect<void>
}>()("fishcloud/services/LlmUsageRecorder") {}
