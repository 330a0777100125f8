/**
 * A state kept as an append-only log of changes, one JSON line each, shared by every process on the machine that
 * opens the same file. Each process holds the state in memory and, on every read, applies only the lines appended
 * since its last read: an update costs one appended line, not a rewrite of the whole state (the fake provider's
 * state, a whole-file rewrite per change, cost more than fishcloud itself once thousands of pods were live).
 *
 * Updates hold two locks, as `layers/pods/state-file.ts` does: a semaphore for this process's fibers, then the
 * machine-wide lock (`layers/fs/cross-process-lock.ts`), and catch up before deciding, so a change is decided on the
 * latest state. A writer killed in the middle of a line leaves a partial last line; readers leave it alone and the
 * next writer (holding the lock) cuts it off before appending.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Deferred, Effect, Schema, Semaphore } from "effect"
import { crossProcessLock, type LockMechanism } from "./cross-process-lock.ts"

export interface AppendLog<View, Change> {
  /** The state with every complete line appended so far applied. Do not keep it across calls: it changes in place. */
  readonly read: Effect.Effect<View>
  /** Decides changes from the latest state under the lock, appends them and applies them. */
  readonly update: <B>(f: (view: View) => readonly [B, ReadonlyArray<Change>]) => Effect.Effect<B>
}

interface Reducer<View, Change> {
  readonly empty: () => View
  /** Applies one change to the view in place. */
  readonly apply: (view: View, change: Change) => void
}

/** The same state in this process's memory only (tests). */
export const memoryLog = <View, Change>(reducer: Reducer<View, Change>): Effect.Effect<AppendLog<View, Change>> =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    const view = reducer.empty()
    const update = <B>(f: (view: View) => readonly [B, ReadonlyArray<Change>]) =>
      lock.withPermits(1)(Effect.sync(() => {
        const [result, changes] = f(view)
        for (const change of changes) reducer.apply(view, change)
        return result
      }))
    return { read: Effect.sync(() => view), update }
  })

const newline = 0x0a

export const appendLog = <S extends Schema.Top & { readonly DecodingServices: never; readonly EncodingServices: never }, View>(
  file: string,
  change: S,
  reducer: Reducer<View, S["Type"]>,
  options: { readonly lock?: LockMechanism } = {}
): Effect.Effect<AppendLog<View, S["Type"]>> =>
  Effect.gen(function*() {
    // Writers of this process queue on `writers` (then on the machine-wide lock); `seeing` keeps a read's catch-up
    // and a write's catch-up-decide-append-apply apart, so no line is applied twice.
    const writers = yield* Semaphore.make(1)
    const seeing = yield* Semaphore.make(1)
    const shared = yield* crossProcessLock(file, options.lock)
    const codec = Schema.fromJsonString(change)
    const decode = Schema.decodeUnknownEffect(codec)
    const encode = Schema.encodeEffect(codec)
    yield* Effect.promise(() => Fs.mkdir(NodePath.dirname(file), { recursive: true }))
    // What this process has read: the file (its inode, so a replaced file is read afresh), how far, and the result.
    let seen = { inode: -1n, offset: 0, view: reducer.empty() }

    /** Applies the complete lines appended since the last read; with the file's size as read (past the offset: a partial line). */
    const catchUp = Effect.gen(function*() {
      const stat = yield* Effect.promise(() => Fs.stat(file, { bigint: true }).catch(() => undefined))
      if (stat === undefined) {
        seen = { inode: -1n, offset: 0, view: reducer.empty() }
        return { seen, size: 0 }
      }
      const size = Number(stat.size)
      if (stat.ino !== seen.inode || size < seen.offset) seen = { inode: stat.ino, offset: 0, view: reducer.empty() }
      if (size === seen.offset) return { seen, size }
      const bytes = yield* Effect.promise(async () => {
        const handle = await Fs.open(file, "r")
        try {
          const buffer = Buffer.alloc(size - seen.offset)
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, seen.offset)
          return buffer.subarray(0, bytesRead)
        } finally {
          await handle.close()
        }
      })
      const complete = bytes.lastIndexOf(newline) + 1
      for (const line of bytes.subarray(0, complete).toString("utf8").split("\n")) {
        if (line !== "") reducer.apply(seen.view, yield* Effect.orDie(decode(line)))
      }
      seen = { ...seen, offset: seen.offset + complete }
      return { seen, size: seen.offset + bytes.length - complete }
    })

    const update = <B>(f: (view: View) => readonly [B, ReadonlyArray<S["Type"]>]) =>
      writers.withPermits(1)(shared.withLock(seeing.withPermits(1)(Effect.gen(function*() {
        const { seen: current, size } = yield* catchUp
        const [result, changes] = f(current.view)
        if (changes.length === 0) return result
        const lines = yield* Effect.forEach(changes, (one) => Effect.orDie(encode(one)))
        const text = Buffer.from(lines.map((line) => `${line}\n`).join(""), "utf8")
        yield* Effect.promise(async () => {
          // A partial last line is what a writer killed mid-line left: cut it off before appending.
          if (size > current.offset) await Fs.truncate(file, current.offset)
          await Fs.appendFile(file, text)
        })
        const after = yield* Effect.promise(() => Fs.stat(file, { bigint: true }))
        for (const one of changes) reducer.apply(current.view, one)
        seen = { inode: after.ino, offset: current.offset + text.length, view: current.view }
        return result
      }))))

    // Reads that arrive while one catches up share its result (one stat, not one per caller): a runner polling
    // thousands of fake pods reads the view hundreds of times a second. A shared result is at most one catch-up old.
    let reading: Deferred.Deferred<View> | undefined
    const read = Effect.suspend(() => {
      if (reading !== undefined) return Deferred.await(reading)
      const caughtUp = Deferred.makeUnsafe<View>()
      reading = caughtUp
      return seeing.withPermits(1)(Effect.map(catchUp, ({ seen }) => seen.view)).pipe(
        Effect.onExit((exit) =>
          Effect.andThen(Effect.sync(() => {
            reading = undefined
          }), Deferred.done(caughtUp, exit))),
        // Others wait on it: the one that started it finishes it even when interrupted.
        Effect.uninterruptible
      )
    })

    return { read, update }
  })
