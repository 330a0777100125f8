/**
 * The cluster's `No healthy runners available` (a lone runner's start) through the service's logger: an INFO line that
 * says what it means, not a warning; gone when LOG_LEVEL is above INFO; every other warning untouched.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestConsole } from "effect/testing"
import { LoggerLive } from "../../layers/telemetry/telemetry.ts"
import { configFromEnv } from "../support/config-env.ts"

const logged = (env: Record<string, string>) =>
  Effect.gen(function*() {
    // As effect/cluster's Sharding logs it.
    yield* Effect.logWarning("No healthy runners available").pipe(Effect.annotateLogs({ module: "effect/cluster/Sharding" }))
    yield* Effect.logWarning("the database does not answer")
    return (yield* TestConsole.logLines).map((line) => JSON.parse(String(line)) as { message: unknown; level: string })
  }).pipe(Effect.provide(Layer.merge(LoggerLive.pipe(Layer.provide(configFromEnv({ LOG_FORMAT: "json", ...env }))), TestConsole.layer)))

describe("the cluster's start-up warning", () => {
  it.effect("is an INFO line explaining itself; other warnings stay warnings", () =>
    Effect.gen(function*() {
      const lines = yield* logged({})
      assert.lengthOf(lines, 2)
      assert.strictEqual(lines[0]!.level, "INFO")
      assert.match(String(lines[0]!.message), /^no runner is marked healthy, so this runner marks itself healthy and goes on/)
      assert.include(String(lines[0]!.message), "expected at start")
      assert.deepStrictEqual(lines[1], { ...lines[1], level: "WARN", message: "the database does not answer" })
    }))

  it.effect("is not logged at all with LOG_LEVEL=warn", () =>
    Effect.gen(function*() {
      const lines = yield* logged({ LOG_LEVEL: "warn" })
      assert.deepStrictEqual(lines.map((line) => [line.level, line.message]), [["WARN", "the database does not answer"]])
    }))
})
