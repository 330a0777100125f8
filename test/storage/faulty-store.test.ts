/**
 * The rehearsal's flaky object store (FAKE_STORE_FAULT_RATE): about that share of reads and writes fail with an
 * ObjectStoreError that says it was injected; presigning never fails; the calls that pass reach the real store.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { FaultyObjectStoreLive } from "../../layers/storage/faulty-store.ts"
import { ObjectStore } from "../../services/object-store.ts"
import { MemoryObjectStoreLive } from "../support/memory-object-store.ts"

describe("FAKE_STORE_FAULT_RATE", () => {
  it.effect("0.2: about a fifth of the calls fail, each saying it was injected; presigned URLs always come", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore
      let failed = 0
      let stored = 0
      for (let i = 0; i < 500; i++) {
        const put = yield* Effect.result(store.put(`k/${i}`, new Uint8Array([i % 256]), "application/octet-stream"))
        if (put._tag === "Failure") {
          failed++
          assert.match(put.failure.message, /^injected fault \(FAKE_STORE_FAULT_RATE=0.2\)/)
          assert.strictEqual(put.failure.operation, "put")
        } else stored++
        yield* store.presignGet(`k/${i}`, Duration.minutes(5))
      }
      assert.isAbove(failed, 60)
      assert.isBelow(failed, 140)
      const found = yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), (i) =>
        store.get(`k/${i}`).pipe(Effect.retry({ times: 20 }), Effect.map(Option.isSome)))
      assert.strictEqual(found.filter(Boolean).length, stored, "what was put is there; what failed was not put")
    }).pipe(Effect.provide(FaultyObjectStoreLive(0.2).pipe(Layer.provideMerge(MemoryObjectStoreLive())))))
})
