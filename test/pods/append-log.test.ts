/**
 * The append-only log behind the fake provider's rehearsal state (`layers/fs/append-log.ts`): two holders of one file
 * (as two processes would be) see each other's changes, a partial last line left by a killed writer is ignored by
 * readers and cut off by the next writer, and a replaced file is read afresh.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { appendLog } from "../../layers/fs/append-log.ts"

const Added = Schema.Struct({ word: Schema.String })

const wordsLog = (file: string) =>
  appendLog(file, Added, { empty: () => ({ words: [] as Array<string> }), apply: (view, added) => void view.words.push(added.word) })

const add = (word: string) => (view: { words: Array<string> }) => [view.words.length, [{ word }]] as const

const scopedFile = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-log-"))),
  (folder) => Effect.promise(() => Fs.rm(folder, { recursive: true, force: true }))
).pipe(Effect.map((folder) => NodePath.join(folder, "words.jsonl")))

layer(Layer.empty, { excludeTestServices: true })("append-only log", (it) => {
  it.effect("two holders of one file see each other's changes, in order", () =>
    Effect.gen(function*() {
      const file = yield* scopedFile
      const first = yield* wordsLog(file)
      const second = yield* wordsLog(file)
      assert.strictEqual(yield* first.update(add("a")), 0)
      assert.strictEqual(yield* second.update(add("b")), 1, "the second decided on the first's change")
      yield* first.update(add("c"))
      assert.deepStrictEqual((yield* second.read).words, ["a", "b", "c"])
      assert.deepStrictEqual((yield* (yield* wordsLog(file)).read).words, ["a", "b", "c"], "a new holder replays the file")
    }).pipe(Effect.scoped))

  it.effect("a partial last line is not read, and the next writer cuts it off", () =>
    Effect.gen(function*() {
      const file = yield* scopedFile
      const log = yield* wordsLog(file)
      yield* log.update(add("a"))
      yield* Effect.promise(() => Fs.appendFile(file, `{"word":"hal`))
      const reader = yield* wordsLog(file)
      assert.deepStrictEqual((yield* reader.read).words, ["a"])
      yield* reader.update(add("b"))
      assert.deepStrictEqual((yield* Effect.promise(() => Fs.readFile(file, "utf8"))).split("\n"), [`{"word":"a"}`, `{"word":"b"}`, ""])
      assert.deepStrictEqual((yield* log.read).words, ["a", "b"])
    }).pipe(Effect.scoped))

  it.effect("a file replaced by another is read afresh", () =>
    Effect.gen(function*() {
      const file = yield* scopedFile
      const log = yield* wordsLog(file)
      yield* log.update(add("a"))
      yield* Effect.promise(() => Fs.writeFile(`${file}.new`, `{"word":"x"}\n`).then(() => Fs.rename(`${file}.new`, file)))
      assert.deepStrictEqual((yield* log.read).words, ["x"])
    }).pipe(Effect.scoped))
})
