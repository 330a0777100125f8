/**
 * A provider's own record of its pods, kept in a JSON file under $FISHCLOUD_HOME so that a restarted runner (or a
 * second process) finds the pods this machine started. Written atomically (a rename), so a read never sees half a
 * file. Read-modify-write holds two locks: a semaphore for the fibers of this process, then a lock shared by every
 * process on the machine (`layers/fs/cross-process-lock.ts`), because several processes share one home (an API and
 * runners, `fishcloud maintenance run`) and an update made between another process's read and write would be lost.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Schema, Semaphore } from "effect"
import { crossProcessLock, type LockMechanism } from "../fs/cross-process-lock.ts"

interface StateFile<A> {
  readonly read: Effect.Effect<A>
  /** Read-modify-write under the lock. */
  readonly update: <B>(f: (state: A) => readonly [B, A]) => Effect.Effect<B>
}

export const stateFile = <S extends Schema.Top & { readonly DecodingServices: never; readonly EncodingServices: never }>(
  file: string,
  schema: S,
  empty: S["Type"],
  options: { readonly lock?: LockMechanism } = {}
) =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    const shared = yield* crossProcessLock(file, options.lock)
    const codec = Schema.fromJsonString(schema)
    // The decoded state of the file version last read: a read that finds the same version (inode, size and
    // modification time in ns: every write renames a new file in) decodes nothing. Decoding the whole file on every
    // read (each poll of each pod) cost most of the rehearsal's CPU.
    let cached: { readonly version: string; readonly state: S["Type"] } | undefined
    const versionOf = Effect.promise(() =>
      Fs.stat(file, { bigint: true }).then((stat) => `${stat.ino}:${stat.size}:${stat.mtimeNs}`, () => "absent"))
    const decode = (text: string) => (text === "" ? Effect.succeed(empty) : Schema.decodeUnknownEffect(codec)(text))
    const read = Effect.gen(function*() {
      const version = yield* versionOf
      if (cached !== undefined && cached.version === version) return cached.state
      const state = yield* Effect.promise(() => Fs.readFile(file, "utf8").catch(() => "")).pipe(Effect.flatMap(decode), Effect.orDie)
      // A write may have landed between the stat and the read: the next read then sees another version and reads again.
      cached = { version, state }
      return state
    })
    const write = (state: S["Type"]) =>
      Effect.gen(function*() {
        const text = yield* Schema.encodeEffect(codec)(state).pipe(Effect.orDie)
        yield* Effect.promise(async () => {
          await Fs.mkdir(NodePath.dirname(file), { recursive: true })
          await Fs.writeFile(`${file}.tmp`, text)
          await Fs.rename(`${file}.tmp`, file)
        })
        cached = { version: yield* versionOf, state }
      })
    const update = <B>(f: (state: S["Type"]) => readonly [B, S["Type"]]) =>
      lock.withPermits(1)(shared.withLock(Effect.gen(function*() {
        const [result, next] = f(yield* read)
        yield* write(next)
        return result
      })))
    return { read, update } satisfies StateFile<S["Type"]>
  })
