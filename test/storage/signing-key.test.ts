import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { PresignedUrls } from "../../services/presigned-urls.ts"
import { ObjectStore } from "../../services/object-store.ts"
import { diskStore, exists, scopedFolder } from "../support/disk-store.ts"

/** Checks `url` the way the `/storage/*` routes do, with the store built by `layer`. */
const verifyWith = (layer: ReturnType<typeof diskStore>, method: string, url: string) =>
  Effect.gen(function*() {
    const urls = yield* PresignedUrls
    const parsed = new URL(url)
    return yield* urls.verify(method, parsed.pathname.replace("/storage/", ""), parsed.searchParams).pipe(Effect.result)
  }).pipe(Effect.provide(layer))

const presignGet = (layer: ReturnType<typeof diskStore>, key: string) =>
  Effect.gen(function*() {
    return yield* (yield* ObjectStore).presignGet(key, Duration.hours(1))
  }).pipe(Effect.provide(layer))

describe("the signing key", () => {
  it.effect("is created once in $FISHCLOUD_HOME/storage-signing-key (mode 0600), so URLs survive a restart", () =>
    Effect.gen(function*() {
      const home = yield* scopedFolder("fishcloud-signing-key-")
      const url = yield* presignGet(diskStore(home), "sim-data/1/posts.json")
      const file = NodePath.join(home, "storage-signing-key")
      const stat = yield* Effect.promise(() => Fs.stat(file))
      assert.strictEqual(stat.mode & 0o777, 0o600)
      const key = (yield* Effect.promise(() => Fs.readFile(file, "utf8"))).trim()
      assert.match(key, /^[0-9a-f]{64}$/)
      // A new store on the same home (a restart) accepts the URL and keeps the key.
      const verdict = yield* verifyWith(diskStore(home), "GET", url)
      assert.strictEqual(verdict._tag, "Success")
      assert.strictEqual((yield* Effect.promise(() => Fs.readFile(file, "utf8"))).trim(), key)
      assert.notInclude(url, key, "the URL carries a signature, not the key")
    }))

  it.effect("another home (another key) refuses the URL", () =>
    Effect.gen(function*() {
      const url = yield* presignGet(diskStore(yield* scopedFolder("fishcloud-signing-key-")), "a.json")
      const verdict = yield* verifyWith(diskStore(yield* scopedFolder("fishcloud-signing-key-")), "GET", url)
      assert.strictEqual(verdict._tag, "Failure")
    }))

  it.effect("STORAGE_SIGNING_KEY, when set, is used and no key file is written", () =>
    Effect.gen(function*() {
      const home = yield* scopedFolder("fishcloud-signing-key-")
      const configured = (value: string) => diskStore(home, { storageSigningKey: Option.some(Redacted.make(value)) })
      const url = yield* presignGet(configured("k".repeat(32)), "a.json")
      assert.isFalse(yield* exists(NodePath.join(home, "storage-signing-key")))
      assert.strictEqual((yield* verifyWith(configured("k".repeat(32)), "GET", url))._tag, "Success")
      assert.strictEqual((yield* verifyWith(configured("j".repeat(32)), "GET", url))._tag, "Failure")
    }))

  it.effect("a damaged key file stops the start with a message naming the file, not its content", () =>
    Effect.gen(function*() {
      const home = yield* scopedFolder("fishcloud-signing-key-")
      const file = NodePath.join(home, "storage-signing-key")
      yield* Effect.promise(() => Fs.writeFile(file, "not-a-key-but-maybe-a-secret\n", { mode: 0o600 }))
      const error = yield* Effect.flip(Layer.build(diskStore(home)).pipe(Effect.scoped))
      assert.include(error.message, file)
      assert.include(error.message, "remove it")
      assert.notInclude(error.message, "not-a-key-but-maybe-a-secret")
    }))
})
