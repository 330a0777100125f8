import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option } from "effect"
import { CliConfig, cliBaseUrl, ServiceConfig } from "../src/config.ts"

const load = (env: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* ServiceConfig
  }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

describe("settings", () => {
  it.effect("defaults are safe: loopback, port 8080, embedded database, demo mode off", () =>
    Effect.gen(function*() {
      const config = yield* load({})
      assert.strictEqual(config.host, "127.0.0.1")
      assert.strictEqual(config.port, 8080)
      assert.isTrue(Option.isNone(config.databaseUrl))
      assert.isFalse(config.demoMode)
      assert.strictEqual(config.maxSeedChars, 50_000)
      assert.strictEqual(config.duplicateWindowSeconds, 60)
      assert.isTrue(config.home.endsWith("/.fishcloud"))
    }))

  for (const [name, value] of [["PORT", "eighty"], ["MAX_SEED_CHARS", "0"], ["DEMO_MODE", "maybe"], ["DUPLICATE_WINDOW_SECONDS", "-1"]]) {
    it.effect(`a bad ${name} fails with a message naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ [name!]: value! }))
        assert.include(String(error), name!)
      }))
  }

  it.effect("the database URL is redacted", () =>
    Effect.gen(function*() {
      const config = yield* load({ DATABASE_URL: "postgres://u:secret@db/x" })
      assert.notInclude(String(config.databaseUrl), "secret")
      assert.notInclude(JSON.stringify(config), "secret")
    }))
})

describe("CLI base URL", () => {
  const base = (env: Record<string, string>) =>
    Effect.gen(function*() {
      return cliBaseUrl(yield* CliConfig)
    }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

  it.effect("points at the local service, reachable even when it binds a wildcard or IPv6 address", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* base({}), "http://127.0.0.1:8080")
      assert.strictEqual(yield* base({ HOST: "0.0.0.0", PORT: "9000" }), "http://127.0.0.1:9000")
      assert.strictEqual(yield* base({ HOST: "::" }), "http://[::1]:8080")
      assert.strictEqual(yield* base({ HOST: "fd00::5" }), "http://[fd00::5]:8080")
      assert.strictEqual(yield* base({ FISHCLOUD_URL: "https://fish.example" }), "https://fish.example")
    }))
})
