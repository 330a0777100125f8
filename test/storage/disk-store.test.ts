import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Option } from "effect"
import { ObjectStore } from "../../services/object-store.ts"
import { bytes, diskStore, exists, filesUnder, scopedFolder, text } from "../support/disk-store.ts"

/** Runs `body` with the disk store on a fresh home. */
const withStore = <A, E>(body: (home: string) => Effect.Effect<A, E, ObjectStore>) =>
  Effect.gen(function*() {
    const home = yield* scopedFolder("fishcloud-disk-store-")
    return yield* body(home).pipe(Effect.provide(diskStore(home)))
  })

describe("disk object store", () => {
  it.effect("put then get returns the bytes, head the size; the object is a file under $FISHCLOUD_HOME/objects", () =>
    withStore((home) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* store.put("sim-data/12/posts.json", bytes("[1,2,3]"), "application/json")
        const got = yield* store.get("sim-data/12/posts.json")
        assert.isTrue(Option.isSome(got))
        assert.strictEqual(text(Option.getOrThrow(got)), "[1,2,3]")
        assert.deepStrictEqual(yield* store.head("sim-data/12/posts.json"), Option.some({ key: "sim-data/12/posts.json", size: 7 }))
        assert.strictEqual(yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "objects/sim-data/12/posts.json"), "utf8")), "[1,2,3]")
      })
    ))

  it.effect("a second put replaces the object whole, and leaves no temporary file behind", () =>
    withStore((home) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* store.put("reports/1.md", bytes("a much longer first version"), "text/markdown")
        yield* store.put("reports/1.md", bytes("v2"), "text/markdown")
        assert.strictEqual(text(Option.getOrThrow(yield* store.get("reports/1.md"))), "v2")
        assert.deepStrictEqual(yield* filesUnder(NodePath.join(home, "objects")), ["reports/1.md"])
      })
    ))

  it.effect("a missing key: get and head are None, delete succeeds", () =>
    withStore(() =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        assert.isTrue(Option.isNone(yield* store.get("sim-data/9/posts.json")))
        assert.isTrue(Option.isNone(yield* store.head("sim-data/9/posts.json")))
        yield* store.delete("sim-data/9/posts.json")
        // A folder is not an object either.
        yield* store.put("sim-data/9/x/y.json", bytes("{}"), "application/json")
        assert.isTrue(Option.isNone(yield* store.get("sim-data/9/x")))
        assert.isTrue(Option.isNone(yield* store.head("sim-data/9")))
      })
    ))

  // Listing and deleting are covered for the disk store by the shared contract (disk-contract.test.ts).

  it.effect("deletePrefix leaves no folder of the job behind; an upload still being written stays, and its folder", () =>
    withStore((home) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* store.put("sim-data/4/posts.json", bytes("[]"), "application/json")
        yield* store.put("sim-data/4/deep/er/x.json", bytes("{}"), "application/json")
        yield* store.put("sim-data/5/posts.json", bytes("[]"), "application/json")
        assert.strictEqual(yield* store.deletePrefix("sim-data/4/"), 2)
        assert.isFalse(yield* exists(NodePath.join(home, "objects/sim-data/4")))
        assert.isTrue(yield* exists(NodePath.join(home, "objects/sim-data/5/posts.json")))
        // A temporary file (an upload in progress: its name holds "~") is no object; its folder stays for it.
        yield* store.put("sim-data/6/posts.json", bytes("[]"), "application/json")
        const temp = NodePath.join(home, "objects/sim-data/6/.trades.json.~abc123")
        yield* Effect.promise(() => Fs.writeFile(temp, "partial"))
        assert.strictEqual(yield* store.deletePrefix("sim-data/6/"), 1)
        assert.isTrue(yield* exists(temp))
      })
    ))

  it.effect("presigned URLs name the public URL, the key, the method, an expiry and a hex signature", () =>
    withStore(() =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        const before = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const put = new URL(yield* store.presignPut("sim-data/3/posts.json", Duration.hours(1)))
        const get = new URL(yield* store.presignGet("sim-data/3/posts.json", Duration.hours(1)))
        assert.strictEqual(put.origin + put.pathname, "http://files.test/storage/sim-data/3/posts.json")
        assert.strictEqual(put.searchParams.get("method"), "PUT")
        assert.strictEqual(get.searchParams.get("method"), "GET")
        const expires = Number(put.searchParams.get("expires"))
        assert.isAtLeast(expires, before + 3600)
        assert.isAtMost(expires, before + 3601)
        assert.match(put.searchParams.get("signature") ?? "", /^[0-9a-f]{64}$/)
        assert.notStrictEqual(put.searchParams.get("signature"), get.searchParams.get("signature"))
      })
    ))
})
