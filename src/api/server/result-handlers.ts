/**
 * Handlers of a job's results (`results` group): the social graph and the market curves read from its artifacts,
 * the report as a PDF, the public share link, and enrich-retry. Owner-scoped like every job route.
 */
import * as Crypto from "node:crypto"
import { Effect, Option } from "effect"
import { HttpApiBuilder, HttpApiSchema } from "effect/http-api"
import { JobLifecycle } from "../../../services/job-lifecycle.ts"
import { JobStore } from "../../../services/job-store.ts"
import { Settings } from "../../config.ts"
import { readerMarkdown } from "../../domain/report.ts"
import { isLive } from "../../domain/status.ts"
import { DemoMode, LifecycleUnavailable, NotAvailable, StatusConflict } from "../api-errors.ts"
import { Api } from "../definition.ts"
import { curvesOf, graphOf } from "../job-artifacts.ts"
import { CurrentUser } from "../security.ts"
import { ownedJob } from "./owned-job.ts"
import { shareUrl } from "./share-url.ts"

export const ResultsHandlers = HttpApiBuilder.group(
  Api,
  "results",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    const lifecycle = yield* JobLifecycle
    const settings = yield* Settings

    return handlers
      .handle("graph", Effect.fn("Jobs.graph")(function*({ params }) {
        const job = yield* ownedJob(yield* CurrentUser, params.id)
        const graph = yield* graphOf(job.id)
        if (Option.isNone(graph)) return yield* new NotAvailable({ detail: `The social graph of job ${job.id} is not available` })
        return graph.value
      }))
      .handle("curves", Effect.fn("Jobs.curves")(function*({ params }) {
        const job = yield* ownedJob(yield* CurrentUser, params.id)
        const curves = yield* curvesOf(job.id)
        if (Option.isNone(curves)) return yield* new NotAvailable({ detail: `The market curves of job ${job.id} are not available` })
        return curves.value
      }))
      .handle("exportPdf", Effect.fn("Jobs.exportPdf")(function*({ params }) {
        const user = yield* CurrentUser
        const job = yield* ownedJob(user, params.id)
        const report = yield* store.report(user.id, job.id)
        if (Option.isNone(report)) {
          return yield* new StatusConflict({ job_status: job.status, detail: `Job ${job.id} has no report yet (status ${job.status})` })
        }
        const curves = yield* curvesOf(job.id)
        // pdfkit (about 30 MB of a process's memory) is loaded at the first PDF asked for.
        const { renderReportPdf } = yield* Effect.promise(() => import("../pdf/report-pdf.ts"))
        const pdf = yield* renderReportPdf({
          jobId: job.id,
          goal: job.goal ?? "",
          keyInsight: report.value.key_insight,
          markdown: readerMarkdown(report.value.report),
          structured: report.value.structured,
          curves: Option.getOrElse(curves, () => []),
          createdAt: job.created_at,
          completedAt: job.completed_at
        })
        return HttpApiSchema.withHeaders({
          body: pdf,
          headers: { "content-disposition": `attachment; filename=fishcloud-job-${job.id}.pdf` }
        })
      }))
      .handle("share", Effect.fn("Jobs.share")(function*({ params }) {
        const user = yield* CurrentUser
        const job = yield* ownedJob(user, params.id)
        const fresh = Crypto.randomBytes(32).toString("base64url")
        const token = yield* store.share(user.id, job.id, fresh)
        if (Option.isNone(token)) {
          return yield* new StatusConflict({ job_status: job.status, detail: `Only a completed job can be shared; job ${job.id} is ${job.status}` })
        }
        return { token: token.value, url: yield* shareUrl(token.value) }
      }))
      .handle("unshare", Effect.fn("Jobs.unshare")(function*({ params }) {
        const user = yield* CurrentUser
        const job = yield* ownedJob(user, params.id)
        yield* store.unshare(user.id, job.id)
      }))
      .handle("enrichRetry", Effect.fn("Jobs.enrichRetry")(function*({ params }) {
        const user = yield* CurrentUser
        const job = yield* ownedJob(user, params.id)
        if (settings.demoMode) return yield* new DemoMode({ detail: "Enrich-retry is disabled in the read-only demo" })
        if (isLive(job.status) || job.goal === null) {
          return yield* new StatusConflict({
            job_status: job.status,
            detail: job.goal === null
              ? `Job ${job.id} has no goal yet: enrichment needs one`
              : `Job ${job.id} is ${job.status}: its seed is in use; enrich again once it has finished`
          })
        }
        yield* lifecycle.enrichAgain(job.id).pipe(
          Effect.mapError((error) => new LifecycleUnavailable({ detail: `Job ${job.id}: ${error.message}` }))
        )
        return job
      }))
  })
)
