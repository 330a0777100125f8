/**
 * What the fake provider remembers: its pods and a ledger of every create and terminate call. In memory for tests;
 * in `$FISHCLOUD_HOME/fake-pods.json` for rehearsals, so a restarted runner finds the pods it created (like a
 * real provider would) and a rehearsal can be audited afterwards.
 */
import { Effect, Ref, Schema } from "effect"
import { stateFile } from "../state-file.ts"

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
  artifacts_uploaded: Schema.Boolean
})
export type FakePodRecord = typeof FakePodRecord.Type

export const LedgerEntry = Schema.Struct({
  op: Schema.Literals(["create", "create-refused", "terminate", "terminate-missing"]),
  pod_id: Schema.NullOr(Schema.String),
  name: Schema.String,
  gpu_type: Schema.NullOr(Schema.String),
  at: Schema.Number
})
export type LedgerEntry = typeof LedgerEntry.Type

export const FakeState = Schema.Struct({
  pods: Schema.Array(FakePodRecord),
  ledger: Schema.Array(LedgerEntry)
})
export type FakeState = typeof FakeState.Type

export interface FakePodStore {
  readonly read: Effect.Effect<FakeState>
  /** Read-modify-write under a lock. */
  readonly update: <A>(f: (state: FakeState) => readonly [A, FakeState]) => Effect.Effect<A>
}

const empty: FakeState = { pods: [], ledger: [] }

export const memoryStore = Effect.gen(function*() {
  const ref = yield* Ref.make(empty)
  return { read: Ref.get(ref), update: (f) => Ref.modify(ref, f) } satisfies FakePodStore
})

export const fileStore = (file: string): Effect.Effect<FakePodStore> => stateFile(file, FakeState, empty)
