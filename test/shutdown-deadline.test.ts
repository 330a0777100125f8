import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { SettingsWith } from "../src/config.ts"
import { ShutdownDeadline } from "../src/shutdown-deadline.ts"

describe("SIGTERM deadline", () => {
  it.effect("from the stop signal on, the process is ended once the grace has passed, not before, however long the stop takes", () =>
    Effect.gen(function*() {
      const exits: Array<number> = []
      const listeners: Array<() => void> = []
      yield* Layer.build(
        ShutdownDeadline((code) => exits.push(code), { subscribe: (listener) => Effect.sync(() => void listeners.push(listener)) }).pipe(
          Layer.provide(SettingsWith({ shutdownGrace: Duration.seconds(8) }))
        )
      )
      yield* TestClock.adjust(Duration.minutes(1))
      assert.deepStrictEqual(exits, [], "no signal, no deadline")
      assert.lengthOf(listeners, 1)
      listeners[0]!()
      yield* TestClock.adjust(Duration.seconds(7.9))
      assert.deepStrictEqual(exits, [])
      yield* TestClock.adjust(Duration.millis(100))
      assert.deepStrictEqual(exits, [130])
    }).pipe(Effect.scoped))
})
