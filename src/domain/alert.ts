/**
 * What fishcloud tells an operator about without being asked: money possibly burning (a pod it had to reap or could
 * not terminate) and jobs that ended for reasons nobody chose (stale, internal errors). Sent to ALERT_WEBHOOK_URL as
 * JSON (this schema), or logged at WARN when no webhook is set. Never carries a secret.
 */
import { Schema } from "effect"
import { JobId } from "./ids.ts"

/** The orphan-pod reaper terminated a pod that no live job uses. */
const PodReaped = Schema.TaggedStruct("pod_reaped", {
  pod_id: Schema.String,
  pod_name: Schema.String,
  provider: Schema.String,
  job_id: Schema.NullOr(JobId),
  reason: Schema.String
})

/** The provider kept refusing to terminate a pod: it may still be billing. */
const TerminateFailed = Schema.TaggedStruct("terminate_failed", {
  pod_id: Schema.String,
  /** None for a pod the reaper found without a job. */
  job_id: Schema.NullOr(JobId),
  error: Schema.String
})

/** A job stayed in one phase past its budget: failed when no execution runs for it, else only reported. */
const JobStale = Schema.TaggedStruct("job_stale", {
  job_id: JobId,
  status: Schema.String,
  minutes_in_status: Schema.Number,
  /** Whether the detector failed it (`stale_<phase>`) or left it to its still-running execution. */
  failed: Schema.Boolean
})

/** A workflow failed unexpectedly and its job was marked FAILED `internal_error`. */
const InternalError = Schema.TaggedStruct("internal_error", {
  job_id: JobId,
  message: Schema.String
})

export const Alert = Schema.Union([PodReaped, TerminateFailed, JobStale, InternalError])
export type Alert = typeof Alert.Type
