/**
 * Rehearsal mode's audit trail (`POD_PROVIDER=fake`, and every lifecycle test): the pods the fake provider
 * created and a ledger of every create and terminate call, so a test or an operator can check that every pod was
 * torn down exactly once. Provided only by the fake pods layer (`layers/pods/fake`).
 */
import { Context, type Effect, Schema } from "effect"

export const FakePodRecord = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  /** 1 for the first pod this provider ever created, 2 for the next... (faults hit the first pod). */
  index: Schema.Int,
  gpu_type: Schema.String,
  cost_per_hour: Schema.Number,
  created_at: Schema.Number,
  terminated_at: Schema.NullOr(Schema.Number),
  /** When `POST /job` was accepted, and what was asked. */
  submitted_at: Schema.NullOr(Schema.Number),
  max_rounds: Schema.Int,
  job_key: Schema.NullOr(Schema.String),
  artifacts_uploaded: Schema.Boolean,
  /**
   * The environment the pod was created with, each secret (`POD_WORKER_SECRET`) as `sha256:<hex>` of its value so the
   * rehearsal file holds none. The fake worker asks for that secret, as a real one does. Absent in records written
   * before pods had an environment here (their workers ask for no secret).
   */
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type FakePodRecord = typeof FakePodRecord.Type

export const LedgerEntry = Schema.Struct({
  op: Schema.Literals(["create", "create-refused", "terminate", "terminate-missing", "terminate-refused"]),
  pod_id: Schema.NullOr(Schema.String),
  name: Schema.String,
  gpu_type: Schema.NullOr(Schema.String),
  at: Schema.Number
})
export type LedgerEntry = typeof LedgerEntry.Type

export class FakePods extends Context.Service<FakePods, {
  /** Every create and terminate call, oldest first. */
  readonly ledger: Effect.Effect<ReadonlyArray<LedgerEntry>>
  /** Every pod ever created, terminated or not. */
  readonly pods: Effect.Effect<ReadonlyArray<FakePodRecord>>
}>()("fishcloud/services/FakePods") {}
