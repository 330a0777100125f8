/**
 * What the fake provider remembers: its pods and a ledger of every create and terminate call. In memory for tests;
 * in `$FISHCLOUD_HOME/fake-pods.json` for rehearsals, so a restarted runner finds the pods it created (like a
 * real provider would) and a rehearsal can be audited afterwards.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Ref, Schema, Semaphore } from "effect"

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

const decodeState = Schema.decodeUnknownEffect(Schema.fromJsonString(FakeState))

export const fileStore = (file: string) =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    const read = Effect.promise(() => Fs.readFile(file, "utf8").catch(() => "")).pipe(
      Effect.flatMap((text) => text === "" ? Effect.succeed(empty) : decodeState(text)),
      Effect.orDie
    )
    const write = (state: FakeState) =>
      Effect.promise(async () => {
        await Fs.mkdir(NodePath.dirname(file), { recursive: true })
        await Fs.writeFile(`${file}.tmp`, JSON.stringify(state, null, 1))
        await Fs.rename(`${file}.tmp`, file)
      })
    const update = <A>(f: (state: FakeState) => readonly [A, FakeState]) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const [result, next] = f(yield* read)
        yield* write(next)
        return result
      }))
    return { read, update } satisfies FakePodStore
  })
