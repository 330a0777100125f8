/**
 * The `ReportWriter` without an API key: a deterministic analyst report written from the job's artifacts, parsed
 * by the same `readReport` as the LLM writer's output and joined with the same artifact-built parts. `usage` is omitted rather than zero: no model was called,
 * so there are no tokens or costs to record (zeros would read as a free model call).
 */
import { Effect, Layer } from "effect"
import type { JobId } from "../../../src/domain/ids.ts"
import { ReportWriter } from "../../../services/report-writer.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { loadReportArtifacts } from "../report/report-artifacts.ts"
import { offlineReportMarkdown } from "../report/offline-markdown.ts"
import { readReport } from "../report/parse-report.ts"
import { simulationParts } from "../report/structured-result.ts"

export const OfflineReportWriterLive = Layer.effect(
  ReportWriter,
  Effect.gen(function*() {
    const store = yield* ObjectStore
    const write = Effect.fn("OfflineReportWriter.write")(
      function*(input: { readonly jobId: JobId; readonly goal: string; readonly forecastDays: number }) {
        const artifacts = yield* loadReportArtifacts(input.jobId)
        const report = readReport(
          offlineReportMarkdown({ goal: input.goal, forecastDays: input.forecastDays, artifacts }),
          simulationParts({ artifacts, forecastDays: input.forecastDays })
        )
        yield* Effect.logDebug(
          `offline report for job ${input.jobId}: ${report.markdown.length} characters, ${report.structured.findings.length} findings`
        )
        return report
      },
      Effect.provideService(ObjectStore, store)
    )
    return ReportWriter.of({ write })
  })
)
