import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { TestClock } from "effect/testing"
import { SettingsWith } from "../src/config.ts"
import { ShutdownDeadline } from "../src/shutdown-deadline.ts"

/** Builds the deadline over a release that hangs until `unblock`, starts stopping; `exits` records `exit` calls. */
const stopping = Effect.gen(function*() {
  const exits: Array<number> = []
  const unblock = yield* Deferred.make<void>()
  const scope = yield* Scope.make()
  yield* Scope.addFinalizer(scope, Deferred.await(unblock))
  yield* Layer.buildWithScope(
    ShutdownDeadline((code) => exits.push(code)).pipe(Layer.provide(SettingsWith({ shutdownGrace: Duration.seconds(8) }))),
    scope
  )
  const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
  return { exits, closing, unblock }
})

describe("SIGTERM deadline", () => {
  it.effect("a stop that hangs ends the process once the grace has passed, not before", () =>
    Effect.gen(function*() {
      const { exits, closing, unblock } = yield* stopping
      yield* TestClock.adjust(Duration.seconds(7.9))
      assert.deepStrictEqual(exits, [])
      yield* TestClock.adjust(Duration.millis(100))
      assert.deepStrictEqual(exits, [130])
      yield* Deferred.succeed(unblock, undefined)
      yield* Fiber.join(closing)
    }))
})
