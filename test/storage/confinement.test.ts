import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option } from "effect"
import { ObjectStore, ObjectStoreError } from "../../services/object-store.ts"
import { bytes, diskStore, exists, filesUnder, scopedFolder, text } from "../support/disk-store.ts"

const secret = "top secret, outside the store"

/**
 * A folder holding the service's home and, beside it, an `outside` folder with `secret.json`, which no key may
 * reach. Runs `body` with the store, then checks that nothing outside `home/objects` was written.
 */
const confined = <A, E>(body: (paths: { objects: string; outside: string }) => Effect.Effect<A, E, ObjectStore>) =>
  Effect.gen(function*() {
    const top = yield* scopedFolder("fishcloud-confinement-")
    const home = NodePath.join(top, "home")
    const outside = NodePath.join(top, "outside")
    yield* Effect.promise(async () => {
      await Fs.mkdir(outside)
      await Fs.writeFile(NodePath.join(outside, "secret.json"), secret)
    })
    const result = yield* body({ objects: NodePath.join(home, "objects"), outside }).pipe(Effect.provide(diskStore(home)))
    const outsideObjects = (yield* filesUnder(top)).filter((file) => !file.startsWith("home/objects/"))
    assert.deepStrictEqual(outsideObjects, ["home/storage-signing-key", "outside/secret.json"], "a file was written outside the store")
    assert.strictEqual(yield* Effect.promise(() => Fs.readFile(NodePath.join(outside, "secret.json"), "utf8")), secret)
    return result
  })

const refused = <A>(effect: Effect.Effect<A, ObjectStoreError>) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(effect)
    assert.instanceOf(error, ObjectStoreError)
    assert.notInclude(error.message, secret)
    return error
  })

const badKeys = [
  "../outside/secret.json",
  "../x",
  "a/../../x",
  "/etc/passwd",
  "a//b",
  "a\\b",
  "..\\outside\\secret.json",
  "a\u0000b",
  "%2e%2e/x",
  "./a",
  ".",
  "..",
  "a/",
  "",
  "x".repeat(1025)
]

describe("the disk store stays inside its folder", () => {
  it.effect("every operation refuses a bad key with an ObjectStoreError naming the problem", () =>
    confined(() =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        for (const key of badKeys) {
          const error = yield* refused(store.put(key, bytes("pwned"), "application/json"))
          assert.include(error.message, "invalid object key", JSON.stringify(key))
          yield* refused(store.get(key))
          yield* refused(store.head(key))
          yield* refused(store.delete(key))
          yield* refused(store.presignPut(key, Duration.hours(1)))
          yield* refused(store.presignGet(key, Duration.hours(1)))
        }
        for (const prefix of ["../", "../outside/", "/etc/", "a//", "..\\"]) {
          yield* refused(store.list(prefix))
          yield* refused(store.listFolders(prefix))
          yield* refused(store.deletePrefix(prefix))
        }
        // The longest allowed key works.
        yield* store.put("x".repeat(200) + "/" + "y".repeat(200), bytes("ok"), "application/octet-stream")
      })
    ))

  it.effect("a folder link pointing outside is neither written through, read through, listed nor deleted through", () =>
    confined(({ objects, outside }) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* Effect.promise(() => Fs.symlink(outside, NodePath.join(objects, "link")))
        const error = yield* refused(store.put("link/new.json", bytes("pwned"), "application/json"))
        assert.include(error.message, "outside the object store")
        yield* refused(store.put("link/deeper/new.json", bytes("pwned"), "application/json"))
        yield* refused(store.get("link/secret.json"))
        yield* refused(store.head("link/secret.json"))
        yield* refused(store.list("link/"))
        yield* refused(store.delete("link/secret.json"))
        yield* refused(store.deletePrefix("link/"))
        yield* refused(store.listFolders("link/"))
        assert.deepStrictEqual(yield* store.listFolders(""), [], "a link is not a folder")
        assert.isFalse(yield* exists(NodePath.join(outside, "new.json")))
        assert.isFalse(yield* exists(NodePath.join(outside, "deeper")))
        assert.deepStrictEqual(yield* store.list(""), [])
      })
    ))

  it.effect("a file link pointing outside is not read; delete removes the link only; put replaces the link", () =>
    confined(({ objects, outside }) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        const link = NodePath.join(objects, "leak.json")
        yield* Effect.promise(() => Fs.symlink(NodePath.join(outside, "secret.json"), link))
        yield* refused(store.get("leak.json"))
        yield* refused(store.head("leak.json"))
        assert.deepStrictEqual(yield* store.list(""), [], "a link is not an object")
        yield* store.put("leak.json", bytes("mine"), "application/json")
        assert.strictEqual(text(Option.getOrThrow(yield* store.get("leak.json"))), "mine")
        assert.isFalse((yield* Effect.promise(() => Fs.lstat(link))).isSymbolicLink())
        yield* Effect.promise(async () => {
          await Fs.rm(link)
          await Fs.symlink(NodePath.join(outside, "secret.json"), link)
        })
        yield* store.delete("leak.json")
        assert.isFalse(yield* exists(link))
      })
    ))
})
