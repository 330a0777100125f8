/** A job's status as a coloured badge (live statuses pulse). */
import type { JobStatus } from "../../../src/domain/status.ts"
import { isLive } from "../../../src/domain/status.ts"

export const StatusBadge = ({ status, testId = "job-status" }: { readonly status: JobStatus; readonly testId?: string }) => (
  <span className={`badge status-${status.toLowerCase()}${isLive(status) ? " live" : ""}`} data-testid={testId} data-status={status}>
    {status}
  </span>
)
