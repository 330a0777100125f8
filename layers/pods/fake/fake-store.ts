/**
 * What the fake provider remembers: its pods and a ledger of every create and terminate call. In memory for tests;
 * for rehearsals in `$FISHCLOUD_HOME/fake-pods.jsonl`, an append-only log of changes (`layers/fs/append-log.ts`), so
 * a restarted runner finds the pods it created (as with a real provider), every process of a rehearsal sees the same
 * pods, and a rehearsal can be audited afterwards (`loadFakeState`).
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Schema } from "effect"
import { FakePodRecord, LedgerEntry } from "../../../services/fake-pods.ts"
import type { JobId } from "../../../src/domain/ids.ts"
import { jobIdOfPodName } from "../../../src/domain/pods.ts"
import { appendLog, type AppendLog, memoryLog } from "../../fs/append-log.ts"

/** One change: a pod recorded (new or changed: the whole record), or a provider call. */
export const FakeChange = Schema.Union([
  Schema.TaggedStruct("Pod", { pod: FakePodRecord }),
  Schema.TaggedStruct("Call", { entry: LedgerEntry })
])
export type FakeChange = typeof FakeChange.Type

/** The fake's state, indexed for what its calls ask (a pod by id, the refusals so far). */
export interface FakeView {
  /** Every pod by id, in creation order. */
  readonly pods: Map<string, FakePodRecord>
  readonly ledger: Array<LedgerEntry>
  /** Names of pods created so far. */
  readonly created: Set<string>
  /** Names whose create was refused outright (every candidate) and that were never created since. */
  readonly refusedOutright: Set<string>
  /** `terminate-refused` calls in all, and by the pod name's job id. */
  terminateRefusals: number
  readonly terminateRefusalsByJob: Map<JobId | undefined, number>
}

const emptyView = (): FakeView => ({
  pods: new Map(),
  ledger: [],
  created: new Set(),
  refusedOutright: new Set(),
  terminateRefusals: 0,
  terminateRefusalsByJob: new Map()
})

const applyChange = (view: FakeView, change: FakeChange) => {
  if (change._tag === "Pod") {
    view.pods.set(change.pod.id, change.pod)
    return
  }
  const entry = change.entry
  view.ledger.push(entry)
  if (entry.op === "create") {
    view.created.add(entry.name)
    view.refusedOutright.delete(entry.name)
  } else if (entry.op === "create-refused" && !view.created.has(entry.name)) {
    view.refusedOutright.add(entry.name)
  } else if (entry.op === "terminate-refused") {
    const jobId = jobIdOfPodName(entry.name)
    view.terminateRefusals += 1
    view.terminateRefusalsByJob.set(jobId, (view.terminateRefusalsByJob.get(jobId) ?? 0) + 1)
  }
}

export type FakePodStore = AppendLog<FakeView, FakeChange>

const reducer = { empty: emptyView, apply: applyChange }

export const memoryStore: Effect.Effect<FakePodStore> = memoryLog(reducer)

export const fileStore = (file: string): Effect.Effect<FakePodStore> => appendLog(file, FakeChange, reducer)

/** Where a rehearsal keeps the fake's state. */
export const fakeStateFile = (home: string) => NodePath.join(home, "fake-pods.jsonl")

/** A rehearsal's fake state as plain lists (audits, benchmarks, journal fixtures): every pod as it is now, and the ledger. */
export const FakeState = Schema.Struct({
  pods: Schema.Array(FakePodRecord),
  ledger: Schema.Array(LedgerEntry)
})
export type FakeState = typeof FakeState.Type

export const stateOf = (view: FakeView): FakeState => ({ pods: [...view.pods.values()], ledger: [...view.ledger] })

/** Reads the fake state of the rehearsal in `home`, from another process, without taking part in it. */
export const loadFakeState = (home: string): Effect.Effect<FakeState> =>
  Effect.gen(function*() {
    const text = yield* Effect.promise(() => Fs.readFile(fakeStateFile(home), "utf8").catch(() => ""))
    const decode = Schema.decodeUnknownEffect(Schema.fromJsonString(FakeChange))
    const view = emptyView()
    // A partial last line (a writer killed mid-line) is not part of the state.
    for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
      if (line !== "") applyChange(view, yield* Effect.orDie(decode(line)))
    }
    return stateOf(view)
  })

/** Writes `state` as the fake state of a rehearsal in `home` that has not started (journal fixtures of upgrades). */
export const saveFakeState = (home: string, state: FakeState): Effect.Effect<void> =>
  Effect.gen(function*() {
    const encode = Schema.encodeEffect(Schema.fromJsonString(FakeChange))
    const changes: ReadonlyArray<FakeChange> = [
      ...state.ledger.map((entry) => ({ _tag: "Call" as const, entry })),
      ...state.pods.map((pod) => ({ _tag: "Pod" as const, pod }))
    ]
    const lines = yield* Effect.forEach(changes, (change) => Effect.orDie(encode(change)))
    yield* Effect.promise(() => Fs.writeFile(fakeStateFile(home), lines.map((line) => `${line}\n`).join("")))
  })
