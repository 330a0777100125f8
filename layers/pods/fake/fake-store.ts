/**
 * What the fake provider remembers: its pods and a ledger of every create and terminate call. In memory for tests;
 * in `$FISHCLOUD_HOME/fake-pods.json` for rehearsals, so a restarted runner finds the pods it created (like a
 * real provider would) and a rehearsal can be audited afterwards.
 */
import { Effect, Ref, Schema } from "effect"
import { FakePodRecord, LedgerEntry } from "../../../services/fake-pods.ts"
import { stateFile } from "../state-file.ts"

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
