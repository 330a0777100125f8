/** The analyst report written after a job's simulation (Anthropic, or the offline writer). */
import { Context, type Effect, Schema } from "effect"
import type { JobId } from "../src/domain/ids.ts"
import type { LlmError } from "./llm-error.ts"

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
