/** The event stream's one poller (`EventHeads`): a subscriber wakes on its job's new head, and only on a poll that asked. */
import { assert, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import { EventHeads, EventHeadsLive, EventStreamTiming } from "../../src/api/server/event-stream.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { JobStore } from "../../services/job-store.ts"

const jobA = 1 as JobId
const jobB = 2 as JobId

it.live("a job followed while a poll is reading is not taken for gone by that poll: its subscriber gets the next one", () =>
  Effect.gen(function*() {
    // The first poll's read waits until `release`; every read finds each job it is asked about at seq 1.
    const firstReadStarted = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    let reads = 0
    const store = Layer.mock(JobStore)({
      eventHeads: (ids) =>
        Effect.gen(function*() {
          if (++reads === 1) {
            yield* Deferred.succeed(firstReadStarted, undefined)
            yield* Deferred.await(release)
          }
          return new Map(ids.map((id) => [id, { seq: 1, status: "RUNNING" as const }]))
        })
    })
    yield* Effect.gen(function*() {
      const hub = yield* EventHeads
      yield* hub.follow(jobA)
      yield* Deferred.await(firstReadStarted)
      // B is followed while the poll that asked only about A is still reading.
      yield* hub.follow(jobB)
      const next = yield* Effect.forkChild(hub.next(jobB, 0))
      yield* Effect.yieldNow
      yield* Deferred.succeed(release, undefined)
      const head = yield* Fiber.join(next)
      assert.deepStrictEqual(head, Option.some({ seq: 1, status: "RUNNING" as const }), "B is live at seq 1, not gone")
    }).pipe(
      Effect.provide(EventHeadsLive.pipe(Layer.provide(store), Layer.provide(Layer.succeed(EventStreamTiming, { pollMillis: 10, keepAliveMillis: 1000 })))),
      Effect.scoped
    )
  }))
