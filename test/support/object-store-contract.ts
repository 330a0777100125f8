/**
 * What every `ObjectStore` does, whichever store it is: run against the disk store (`disk-contract.test.ts`) and
 * the S3 store (`s3.test.ts`), so code written against one behaves the same on the other. `store` is built afresh
 * for each test, so each test starts from an empty store; its presigned URLs must be reachable with `fetch`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, type Layer, Option } from "effect"
import { ObjectStore, type ObjectStoreError } from "../../services/object-store.ts"
import { maxKeyLength } from "../../layers/storage/object-key.ts"

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytes = (value: string) => new TextEncoder().encode(value)

/** Every byte value, so nothing on the way may treat a body as text. */
const allBytes = Uint8Array.from({ length: 512 }, (_, i) => i % 256)

/** Keys no method may accept: they leave the store's folder, hold empty or dot segments, or odd characters. */
export const invalidKeys = [
  "",
  "/etc/passwd",
  "../outside.json",
  "sim-data/../../outside.json",
  "sim-data//posts.json",
  "sim-data/./posts.json",
  "sim-data/12/",
  "sim-data/12/posts json",
  "sim-data/12/%2e%2e",
  "sim-data\\12\\posts.json",
  "sim-data/12/posts.json?x=1",
  "x".repeat(maxKeyLength + 1)
]

/** Prefixes `list` refuses: a complete segment breaks the key rules, or a character is not allowed. */
export const invalidPrefixes = ["/", "../", "sim-data//", "sim-data/../", "sim-data/*"]

const assertRefused = (error: ObjectStoreError, operation: string, key: string) => {
  assert.strictEqual(error._tag, "ObjectStoreError")
  assert.strictEqual(error.operation, operation)
  assert.strictEqual(error.key, key)
  assert.include(error.message, "invalid object key")
}

export const objectStoreContract = <E>(name: string, store: Layer.Layer<ObjectStore, E>) =>
  describe(`${name}: the ObjectStore contract`, () => {
    const test = (title: string, body: Effect.Effect<void, unknown, ObjectStore>) =>
      it.effect(title, () => body.pipe(Effect.provide(store)))

    test("put then get returns the same bytes and head the size", Effect.gen(function*() {
      const store = yield* ObjectStore
      yield* store.put("sim-data/12/graph.bin", allBytes, "application/octet-stream")
      yield* store.put("sim-data/12/posts.json", bytes("[1,2,3]"), "application/json")
      assert.deepStrictEqual(yield* store.get("sim-data/12/graph.bin"), Option.some(allBytes))
      assert.strictEqual(text(Option.getOrThrow(yield* store.get("sim-data/12/posts.json"))), "[1,2,3]")
      assert.deepStrictEqual(yield* store.head("sim-data/12/graph.bin"), Option.some({ key: "sim-data/12/graph.bin", size: 512 }))
      assert.deepStrictEqual(yield* store.head("sim-data/12/posts.json"), Option.some({ key: "sim-data/12/posts.json", size: 7 }))
    }))

    test("an empty body is an object of size 0", Effect.gen(function*() {
      const store = yield* ObjectStore
      yield* store.put("reports/empty.md", new Uint8Array(), "text/markdown")
      assert.deepStrictEqual(yield* store.get("reports/empty.md"), Option.some(new Uint8Array()))
      assert.deepStrictEqual(yield* store.head("reports/empty.md"), Option.some({ key: "reports/empty.md", size: 0 }))
      assert.deepStrictEqual(yield* store.list("reports/"), [{ key: "reports/empty.md", size: 0 }])
    }))

    test("a second put replaces the object whole", Effect.gen(function*() {
      const store = yield* ObjectStore
      yield* store.put("reports/1.md", bytes("a much longer first version"), "text/markdown")
      yield* store.put("reports/1.md", bytes("v2"), "text/markdown")
      assert.strictEqual(text(Option.getOrThrow(yield* store.get("reports/1.md"))), "v2")
      assert.deepStrictEqual(yield* store.list("reports/"), [{ key: "reports/1.md", size: 2 }])
    }))

    test("a missing key: get and head are None and delete succeeds; a key's folder is not an object", Effect.gen(function*() {
      const store = yield* ObjectStore
      assert.isTrue(Option.isNone(yield* store.get("sim-data/9/posts.json")))
      assert.isTrue(Option.isNone(yield* store.head("sim-data/9/posts.json")))
      yield* store.delete("sim-data/9/posts.json")
      yield* store.put("sim-data/9/x/y.json", bytes("{}"), "application/json")
      assert.isTrue(Option.isNone(yield* store.get("sim-data/9/x")))
      assert.isTrue(Option.isNone(yield* store.head("sim-data/9")))
      yield* store.delete("sim-data/9/x")
      assert.isTrue(Option.isSome(yield* store.get("sim-data/9/x/y.json")), "deleting the folder's name removes nothing")
    }))

    test("delete removes that object only; deleting it again succeeds", Effect.gen(function*() {
      const store = yield* ObjectStore
      yield* store.put("a/b.json", bytes("{}"), "application/json")
      yield* store.put("a/c.json", bytes("[]"), "application/json")
      yield* store.delete("a/b.json")
      assert.isTrue(Option.isNone(yield* store.get("a/b.json")))
      assert.isTrue(Option.isNone(yield* store.head("a/b.json")))
      assert.deepStrictEqual(yield* store.list("a/"), [{ key: "a/c.json", size: 2 }])
      yield* store.delete("a/b.json")
    }))

    test("list returns exactly the objects whose key starts with the prefix, sorted by key, with sizes", Effect.gen(function*() {
      const store = yield* ObjectStore
      for (const key of ["sim-data/1/trades.json", "sim-data/1/posts.json", "sim-data/12/posts.json", "sim-data/1/deep/x.json", "reports/1.md"]) {
        yield* store.put(key, bytes(key), "application/octet-stream")
      }
      const keys = (prefix: string) => store.list(prefix).pipe(Effect.map((objects) => objects.map((object) => object.key)))
      assert.deepStrictEqual(yield* keys("sim-data/1/"), ["sim-data/1/deep/x.json", "sim-data/1/posts.json", "sim-data/1/trades.json"])
      assert.deepStrictEqual(yield* keys("sim-data/12/"), ["sim-data/12/posts.json"])
      // A prefix is a string prefix: "sim-data/1" also covers job 12.
      assert.deepStrictEqual(yield* keys("sim-data/1"), [
        "sim-data/1/deep/x.json",
        "sim-data/1/posts.json",
        "sim-data/1/trades.json",
        "sim-data/12/posts.json"
      ])
      assert.deepStrictEqual(yield* keys("sim-data/1/p"), ["sim-data/1/posts.json"])
      assert.deepStrictEqual(yield* keys(""), [
        "reports/1.md",
        "sim-data/1/deep/x.json",
        "sim-data/1/posts.json",
        "sim-data/1/trades.json",
        "sim-data/12/posts.json"
      ])
      assert.deepStrictEqual(yield* keys("sim-data/7/"), [])
      assert.deepStrictEqual(yield* store.list("reports/"), [{ key: "reports/1.md", size: "reports/1.md".length }])
    }))

    test("deletePrefix removes every object under the folder, nothing else, and says how many", Effect.gen(function*() {
      const store = yield* ObjectStore
      const job = ["sim-data/1/posts.json", "sim-data/1/report.md", "sim-data/1/deep/x.json"]
      const others = ["sim-data/12/posts.json", "sim-data/1.json", "reports/1.md"]
      for (const key of [...job, ...others]) yield* store.put(key, bytes(key), "application/octet-stream")
      assert.strictEqual(yield* store.deletePrefix("sim-data/1/"), 3)
      for (const key of job) assert.isTrue(Option.isNone(yield* store.get(key)), `${key} is gone`)
      assert.deepStrictEqual((yield* store.list("")).map((object) => object.key), ["reports/1.md", "sim-data/1.json", "sim-data/12/posts.json"])
      assert.deepStrictEqual(yield* store.list("sim-data/1/"), [])
      assert.deepStrictEqual(yield* store.listFolders("sim-data/"), ["sim-data/12/"], "the emptied folder is not listed")
      assert.strictEqual(yield* store.deletePrefix("sim-data/1/"), 0, "again: nothing left to delete")
      assert.strictEqual(yield* store.deletePrefix("sim-data/7/"), 0, "a folder that never was")
      // The folder can be written again (a late upload), and deleted again.
      yield* store.put("sim-data/1/posts.json", bytes("late"), "application/json")
      assert.deepStrictEqual(yield* store.listFolders("sim-data/"), ["sim-data/1/", "sim-data/12/"])
      assert.strictEqual(yield* store.deletePrefix("sim-data/1/"), 1)
    }))

    test("deletePrefix removes a folder of many objects", Effect.gen(function*() {
      const store = yield* ObjectStore
      for (let i = 0; i < 25; i++) yield* store.put(`sim-data/3/file-${i}.json`, bytes(`${i}`), "application/json")
      yield* store.put("sim-data/30/posts.json", bytes("{}"), "application/json")
      assert.strictEqual(yield* store.deletePrefix("sim-data/3/"), 25)
      assert.deepStrictEqual((yield* store.list("sim-data/")).map((object) => object.key), ["sim-data/30/posts.json"])
    }))

    test("listFolders lists the folders directly under a prefix, sorted", Effect.gen(function*() {
      const store = yield* ObjectStore
      for (const key of ["sim-data/1/a.json", "sim-data/12/b.json", "sim-data/12/deep/c.json", "sim-data/top.json", "reports/1.md"]) {
        yield* store.put(key, bytes(key), "application/octet-stream")
      }
      assert.deepStrictEqual(yield* store.listFolders(""), ["reports/", "sim-data/"])
      assert.deepStrictEqual(yield* store.listFolders("sim-data/"), ["sim-data/1/", "sim-data/12/"])
      assert.deepStrictEqual(yield* store.listFolders("sim-data/12/"), ["sim-data/12/deep/"])
      assert.deepStrictEqual(yield* store.listFolders("sim-data/1/"), [])
      assert.deepStrictEqual(yield* store.listFolders("nothing/"), [])
    }))

    test("deletePrefix and listFolders refuse what is not a folder, and delete nothing", Effect.gen(function*() {
      const store = yield* ObjectStore
      yield* store.put("sim-data/1/posts.json", bytes("{}"), "application/json")
      for (const prefix of ["", "sim-data/1", "sim-data", ...invalidPrefixes]) {
        const error = yield* Effect.flip(store.deletePrefix(prefix))
        assert.strictEqual(error.operation, "deletePrefix")
        assert.strictEqual(error.key, prefix)
        assert.include(error.message, "invalid object key prefix")
      }
      for (const prefix of ["sim-data", "sim-data/1/posts", ...invalidPrefixes]) {
        const error = yield* Effect.flip(store.listFolders(prefix))
        assert.strictEqual(error.operation, "listFolders")
        assert.include(error.message, "invalid object key prefix")
      }
      assert.deepStrictEqual((yield* store.list("")).map((object) => object.key), ["sim-data/1/posts.json"])
    }))

    test("every method refuses an invalid key with an ObjectStoreError naming the operation and the key", Effect.gen(function*() {
      const store = yield* ObjectStore
      for (const key of invalidKeys) {
        assertRefused(yield* Effect.flip(store.put(key, bytes("{}"), "application/json")), "put", key)
        assertRefused(yield* Effect.flip(store.get(key)), "get", key)
        assertRefused(yield* Effect.flip(store.head(key)), "head", key)
        assertRefused(yield* Effect.flip(store.delete(key)), "delete", key)
        assertRefused(yield* Effect.flip(store.presignPut(key, Duration.hours(1))), "presignPut", key)
        assertRefused(yield* Effect.flip(store.presignGet(key, Duration.hours(1))), "presignGet", key)
      }
      for (const prefix of invalidPrefixes) {
        const error = yield* Effect.flip(store.list(prefix))
        assert.strictEqual(error.operation, "list")
        assert.include(error.message, "invalid object key prefix")
      }
      // Nothing was written on the way.
      assert.deepStrictEqual(yield* store.list(""), [])
    }))

    test("a JSON body uploaded with fetch to a presigned PUT URL comes back byte for byte from a presigned GET URL", Effect.gen(function*() {
      const store = yield* ObjectStore
      const key = "sim-data/42/market_curves.json"
      const body = JSON.stringify({ market: "Will trams run by 2027?", curve: [0.5, 0.61, 0.58], note: "naïve → ✓" })
      const putUrl = yield* store.presignPut(key, Duration.hours(14))
      assert.isTrue(new URL(putUrl).pathname.endsWith(`/${key}`), "the URL names the key")
      const uploaded = yield* Effect.promise(() =>
        fetch(putUrl, { method: "PUT", body, headers: { "content-type": "application/json" } })
      )
      assert.strictEqual(uploaded.status, 200)
      const getUrl = yield* store.presignGet(key, Duration.hours(1))
      const downloaded = yield* Effect.promise(async () => {
        const response = await fetch(getUrl)
        return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) }
      })
      assert.strictEqual(downloaded.status, 200)
      assert.deepStrictEqual(downloaded.body, bytes(body))
      assert.deepStrictEqual(yield* store.get(key), Option.some(bytes(body)))
      assert.deepStrictEqual(yield* store.head(key), Option.some({ key, size: bytes(body).length }))
    }))

    test("a presigned GET URL of a missing key answers 404", Effect.gen(function*() {
      const store = yield* ObjectStore
      const url = yield* store.presignGet("sim-data/42/missing.json", Duration.hours(1))
      const status = yield* Effect.promise(async () => {
        const response = await fetch(url)
        await response.arrayBuffer()
        return response.status
      })
      assert.strictEqual(status, 404)
    }))
  })
