/**
 * The public share page's data (`GET /api/share/:token`, no bearer token): a completed job's report, curves and
 * graph, and nothing else of its owner's (no seed, no pods, no costs, no other job).
 */
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobStore } from "../../../services/job-store.ts"
import { readerMarkdown } from "../../domain/report.ts"
import { ShareNotFound } from "../api-errors.ts"
import { Api } from "../definition.ts"
import { curvesOf, graphOf } from "../job-artifacts.ts"

export const ShareHandlers = HttpApiBuilder.group(
  Api,
  "share",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    return handlers.handle("get", Effect.fn("Share.get")(function*({ params }) {
      const shared = yield* store.shared(params.token)
      if (Option.isNone(shared)) return yield* new ShareNotFound({ detail: "This share link does not exist or was revoked" })
      const { job, report } = shared.value
      const [curves, graph] = yield* Effect.all([curvesOf(job.id), graphOf(job.id)], { concurrency: 2 })
      return {
        job_id: job.id,
        goal: job.goal,
        tier: job.tier,
        created_at: job.created_at,
        completed_at: job.completed_at,
        key_insight: job.key_insight,
        report: Option.getOrNull(Option.map(report, (report) => ({ ...report, report: readerMarkdown(report.report) }))),
        curves: Option.getOrElse(curves, () => []),
        graph: Option.getOrNull(graph)
      }
    }))
  })
)
