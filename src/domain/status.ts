/**
 * Job statuses and the one rule for moving between them. Status only moves forward along
 * DRAFT -> PENDING -> PROVISIONING -> RUNNING -> REPORTING -> COMPLETED, or to FAILED / CANCELLED from a live
 * status. Terminal statuses are final. The `JobJournal` (`layers/db/job-journal.ts`) turns this rule into the guarded SQL update.
 */
import { Schema } from "effect"

export const JobStatus = Schema.Literals([
  "DRAFT",
  "PENDING",
  "PROVISIONING",
  "RUNNING",
  "REPORTING",
  "COMPLETED",
  "FAILED",
  "CANCELLED"
])
export type JobStatus = typeof JobStatus.Type

/** The forward path; each status may only move to the next one. */
const forwardPath: ReadonlyArray<JobStatus> = ["DRAFT", "PENDING", "PROVISIONING", "RUNNING", "REPORTING", "COMPLETED"]

/** Statuses in which a job holds (or is about to hold) resources: duplicates, cancels and reapers look at these. */
export const liveStatuses: ReadonlyArray<JobStatus> = ["PENDING", "PROVISIONING", "RUNNING", "REPORTING"]

/**
 * A job is starting until its simulation runs on a pod: waiting for a runner, or renting and booting its pod (which
 * costs the runner a check every few seconds). Admission back-pressure counts these.
 */
export const startingStatuses: ReadonlyArray<JobStatus> = ["PENDING", "PROVISIONING"]

export const terminalStatuses: ReadonlyArray<JobStatus> = ["COMPLETED", "FAILED", "CANCELLED"]

export const isLive = (status: JobStatus): boolean => liveStatuses.includes(status)
export const isTerminal = (status: JobStatus): boolean => terminalStatuses.includes(status)

/** The statuses from which a job may move to `to`. Empty for DRAFT: a draft is only ever created. */
export const allowedSources = (to: JobStatus): ReadonlyArray<JobStatus> => {
  if (to === "FAILED" || to === "CANCELLED") return liveStatuses
  const index = forwardPath.indexOf(to)
  return index > 0 ? [forwardPath[index - 1]!] : []
}

export const canTransition = (from: JobStatus, to: JobStatus): boolean => allowedSources(to).includes(from)

/** Statuses from which a user may ask for a retry (a new job with `retry_of` set). */
export const retryableStatuses: ReadonlyArray<JobStatus> = ["FAILED", "CANCELLED"]
