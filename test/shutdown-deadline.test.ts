import * as ChildProcess from "node:child_process"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { SettingsWith } from "../src/config.ts"
import { ShutdownDeadline } from "../src/shutdown-deadline.ts"

const blockedProcess = NodePath.resolve(import.meta.dirname, "support/fixtures/blocked-process.ts")

describe("SIGTERM deadline", () => {
  it.effect("the stop signal starts the watchdog with SHUTDOWN_GRACE_SECONDS; nothing starts it before", () =>
    Effect.gen(function*() {
      const started: Array<Duration.Duration> = []
      const listeners: Array<() => void> = []
      yield* Layer.build(
        ShutdownDeadline((grace) => void started.push(grace), { subscribe: (listener) => Effect.sync(() => void listeners.push(listener)) }).pipe(
          Layer.provide(SettingsWith({ shutdownGrace: Duration.seconds(8) }))
        )
      )
      assert.deepStrictEqual(started, [], "no signal, no watchdog")
      assert.lengthOf(listeners, 1)
      listeners[0]!()
      assert.deepStrictEqual(started.map(Duration.toSeconds), [8])
    }).pipe(Effect.scoped))

  it.live("the watchdog kills a process whose event loop never comes back, with a line that says why", () =>
    Effect.promise(() =>
      new Promise<void>((resolve, reject) => {
        // A process that starts the watchdog (0.2 s) and then blocks its own event loop for good.
        const child = ChildProcess.spawn(process.execPath, [blockedProcess, "200"], { stdio: ["ignore", "ignore", "pipe"] })
        let stderr = ""
        child.stderr.on("data", (chunk) => stderr += String(chunk))
        const guard = setTimeout(() => {
          child.kill("SIGKILL")
          reject(new Error("the blocked process was not killed within 20 s"))
        }, 20_000)
        child.once("exit", (code, signal) => {
          clearTimeout(guard)
          try {
            assert.strictEqual(signal, "SIGKILL", `exit ${code}, stderr: ${stderr}`)
            assert.include(stderr, "still stopping after 200ms (SHUTDOWN_GRACE_SECONDS)")
            resolve()
          } catch (error) {
            reject(error)
          }
        })
      })
    ), 30_000)
})
