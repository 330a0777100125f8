/** `GET /api/jobs/:id/timeline`: steps derived from the job's events (`src/domain/timeline.ts`) and its pods. */
import { Effect } from "effect"
import { JobStore } from "../../../services/job-store.ts"
import type { Job } from "../../domain/job.ts"
import type { StoredEvent } from "../../domain/job-event.ts"
import { deriveSteps, type JobTimeline } from "../../domain/timeline.ts"
import { eventBatchSize } from "../limits.ts"

/** Every event of the job, read in batches. */
const allEvents = Effect.fn("Timeline.allEvents")(function*(job: Job) {
  const store = yield* JobStore
  const events: Array<StoredEvent> = []
  for (;;) {
    const batch = yield* store.eventsAfter(job.id, events.at(-1)?.seq ?? 0, eventBatchSize)
    events.push(...batch)
    if (batch.length < eventBatchSize) return events
  }
})

/** The timeline of a job the caller owns. */
export const timelineOf = Effect.fn("Jobs.timeline")(function*(job: Job) {
  const store = yield* JobStore
  const [events, pods] = yield* Effect.all([allEvents(job), store.pods(job.id)], { concurrency: 2 })
  const timeline: JobTimeline = {
    job_id: job.id,
    status: job.status,
    steps: deriveSteps(events, new Date().toISOString()),
    pods,
    gpu_cost_usd: pods.reduce((sum, pod) => sum + pod.cost_usd, 0)
  }
  return timeline
})
