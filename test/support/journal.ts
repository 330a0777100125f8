/** Tests that walk a job through its statuses and events by hand write them the way the lifecycle does. */
import { JobJournal, type TransitionOptions } from "../../services/job-journal.ts"
import type { JobId } from "../../src/domain/ids.ts"
import type { JobStatus } from "../../src/domain/status.ts"

export const transition = (jobId: JobId, to: JobStatus, options?: TransitionOptions) =>
  JobJournal.use((journal) => journal.transition(jobId, to, options))

export const appendEvent = (jobId: JobId, kind: string, data: Record<string, unknown>) =>
  JobJournal.use((journal) => journal.appendEvent(jobId, kind, data))
