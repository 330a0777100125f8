/**
 * What the maintenance jobs (`src/lifecycle/maintenance/`) read and write: which job, if any, a provider's pod
 * belongs to and whether it is that job's current pod; reaped pods; live jobs and how long they have been in their
 * status; whether a workflow execution exists; which jobs whose artifacts remain were deleted. Database failures
 * are defects (the maintenance run fails, is logged, and runs again next time).
 */
import { Context, type Effect, type Option } from "effect"
import type { JobId } from "../src/domain/ids.ts"
import type { JobStatus } from "../src/domain/status.ts"
import type { Tier } from "../src/domain/tier.ts"

/** The `pods` row a provider's pod maps to (by pod id, or by name while its create is in flight), with its job. */
export interface PodRecord {
  readonly job_id: JobId
  /** The job's status; none when the job row is gone (deleted). */
  readonly job_status: Option.Option<JobStatus>
  /** When the row was written (before the provider was asked), epoch ms. */
  readonly requested_at: number
  /**
   * Since when the pod has not been needed, epoch ms: the latest of its request, its row's termination and (when
   * the job is over) the job's last change. The grace of a finished job's pod counts from here, so a teardown in
   * progress is not raced.
   */
  readonly settled_at: number
  readonly terminated: boolean
  readonly termination_reason: string | null
  /** The newest not-terminated row of its job: the pod the job is using (or about to). */
  readonly current: boolean
}

export interface LiveJob {
  readonly id: JobId
  readonly status: JobStatus
  readonly tier: Tier
  /** When the job's status last changed, epoch ms. */
  readonly status_since: number
}

export class MaintenanceStore extends Context.Service<MaintenanceStore, {
  readonly podRecord: (provider: string, pod: { readonly id: string; readonly name: string }) => Effect.Effect<Option.Option<PodRecord>>
  /**
   * Records a pod the reaper terminated: its live row is closed with `reaped: <reason>`, or, when it has none, a
   * closed row is added under `jobId` (0 when the name does not carry one) so the pods table shows every pod.
   */
  readonly recordReaped: (
    provider: string,
    pod: { readonly id: string; readonly name: string; readonly gpu_type: string },
    jobId: JobId | undefined,
    reason: string
  ) => Effect.Effect<void>
  /** Every job in PENDING, PROVISIONING, RUNNING or REPORTING. */
  readonly liveJobs: Effect.Effect<ReadonlyArray<LiveJob>>
  /**
   * Remembers that the job was alerted stale in `status`, which it entered at `since` (epoch ms); true only for the
   * first call per stay, so each stay is alerted once.
   */
  readonly firstStaleAlert: (jobId: JobId, status: JobStatus, since: number) => Effect.Effect<boolean>
  /** Whether the workflow engine holds a `run` request for that workflow execution (started, finished or not). */
  readonly executionExists: (workflowName: string, executionId: string) => Effect.Effect<boolean>
  /**
   * Of `ids`, those of deleted jobs: ids this database has issued (at most the newest job id it ever made) with no
   * job row now. An id it never issued (another installation's, or a database restored from an older backup) is not
   * one: nothing says its job is gone.
   */
  readonly deletedJobIds: (ids: ReadonlyArray<JobId>) => Effect.Effect<ReadonlyArray<JobId>>
}>()("fishcloud/services/MaintenanceStore") {}
