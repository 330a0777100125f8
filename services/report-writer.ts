/** The analyst report written after a job's simulation (Anthropic, or the offline writer). */
import { Context, type Effect } from "effect"
import type { JobId } from "../src/domain/ids.ts"
import type { FullStructuredReport } from "../src/domain/report.ts"
import type { LlmError } from "./llm-error.ts"

export interface WrittenReport {
  /** The report's source markdown, with its `### slot=X — Title` finding headings (`readerMarkdown` cleans them). */
  readonly markdown: string
  /** All nine parts (`src/domain/report.ts`): three read from the markdown, six built from the artifacts. */
  readonly structured: FullStructuredReport
  readonly keyInsight: string | null
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number }
}

export class ReportWriter extends Context.Service<ReportWriter, {
  /** Reads the job's artifacts from the object store and writes the analyst report. */
  readonly write: (
    input: { readonly jobId: JobId; readonly goal: string; readonly forecastDays: number }
  ) => Effect.Effect<WrittenReport, LlmError>
}>()("fishcloud/services/ReportWriter") {}
