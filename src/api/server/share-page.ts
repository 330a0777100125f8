/**
 * `GET /s/:token`: the public share page. The dashboard renders it (signed out) from `GET /api/share/:token`; this
 * route serves the dashboard's page with OpenGraph tags of the shared job (its goal and key insight), so a link
 * pasted into a chat unfurls with the insight. An unknown or revoked token answers 404 with the same page, which then
 * shows "not found".
 */
import { Effect, FileSystem, Option } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { JobStore } from "../../../services/job-store.ts"
import type { Job, JobReport } from "../../domain/job.ts"
import { readerMarkdown } from "../../domain/report.ts"
import { dashboardPage, indexHtml } from "./dashboard-routes.ts"
import { shareUrl } from "./share-url.ts"

/** The key insight, else the report's first line of prose, else what the job asked. */
const shareDescription = (job: Job, report: Option.Option<JobReport>): string => {
  const insight = job.key_insight?.trim() ?? ""
  if (insight !== "") return insight.slice(0, 200)
  const prose = Option.flatMap(report, (report) =>
    Option.fromNullishOr(readerMarkdown(report.report).split("\n").map((line) => line.trim())
      .find((line) => line.length > 30 && !line.startsWith("#"))))
  return Option.getOrElse(prose, () => `AI swarm simulation: ${job.goal ?? `job ${job.id}`}`).slice(0, 200)
}

export const SharePageRoute = HttpRouter.use((router) => Effect.gen(function*() {
  const store = yield* JobStore
  const fs = yield* FileSystem.FileSystem
  yield* router.add("GET", "/s/:token", Effect.gen(function*() {
    const token = (yield* HttpRouter.params)["token"] ?? ""
    const shared = yield* store.shared(token)
    if (Option.isNone(shared)) return HttpServerResponse.setStatus(dashboardPage(yield* indexHtml()), 404)
    const { job, report } = shared.value
    return dashboardPage(yield* indexHtml({
      title: job.goal ?? `fishcloud job ${job.id}`,
      description: shareDescription(job, report),
      url: yield* shareUrl(token)
    }))
  }).pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.withSpan("Share.page")))
}))
