/** Tests that walk a job through its statuses and events by hand write them the way the lifecycle does. */
import type { JobId } from "../../src/domain/ids.ts"
import type { JobEvent, Progress } from "../../src/domain/job-event.ts"
import type { JobStatus } from "../../src/domain/status.ts"
import { JobJournal, type TransitionOptions } from "../../services/job-journal.ts"

export const transition = (jobId: JobId, to: JobStatus, options?: TransitionOptions) =>
  JobJournal.use((journal) => journal.transition(jobId, to, options))

export const appendEvent = (jobId: JobId, event: JobEvent) => JobJournal.use((journal) => journal.appendEvent(jobId, event))

/** A `progress` event at `round` of `maxRounds`, with no log lines or posts. */
export const progressAt = (round: number, maxRounds: number | null = null): JobEvent => ({
  kind: "progress",
  data: { round, max_rounds: maxRounds, log_lines: [], recent_posts: [], updated_at: 0 } satisfies Progress
})
