import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Option, Redacted } from "effect"
import { LogFormat, TelemetryConfig } from "../layers/telemetry/telemetry-config.ts"
import { CliConfig, cliBaseUrl, httpUrl, optionalSecret, secret, ServiceConfig } from "../src/config.ts"
import { configFromEnv } from "./support/config-env.ts"

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

  const bad = [
    ["PORT", "eighty"],
    ["MAX_SEED_CHARS", "0"],
    ["DEMO_MODE", "maybe"],
    ["DUPLICATE_WINDOW_SECONDS", "-1"],
    ["FISHCLOUD_TIME_SCALE", "0.0001"],
    ["FAKE_STORE_FAULT_RATE", "0.9"]
  ]
  for (const [name, value] of bad) {
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

describe("what the service settings read", () => {
  it.effect("no vendor variable: a bad RUNPOD_*, S3_*, XAI_*, ANTHROPIC_* or OTEL_* value is its layer's to refuse", () =>
    Effect.gen(function*() {
      const config = yield* load({
        RUNPOD_API_URL: "api.runpod.io",
        S3_ENDPOINT: "minio:9000",
        XAI_BASE_URL: "api.x.ai",
        ANTHROPIC_MAX_TOKENS: "lots",
        OTEL_METRIC_EXPORT_INTERVAL: "0"
      })
      assert.strictEqual(config.objectStore, "disk")
      assert.strictEqual(config.podProvider, "local")
    }))
})

describe("the shared checks", () => {
  const parse = <A>(config: Config.Config<A>, env: Record<string, string>) => config.pipe(Effect.provide(configFromEnv(env)))

  it.effect("httpUrl: http(s) without query or fragment, trailing slashes removed; a bad one names the variable", () =>
    Effect.gen(function*() {
      const url = httpUrl("SOME_URL", "https://example.test")
      assert.strictEqual(yield* parse(url, { SOME_URL: "https://example.test/api//" }), "https://example.test/api")
      assert.strictEqual(yield* parse(url, { SOME_URL: "http://127.0.0.1:9000" }), "http://127.0.0.1:9000")
      for (const bad of ["example.test", "ftp://example.test", "https://example.test/?a=1", "https://example.test/#top", "https://"]) {
        const error = String(yield* Effect.flip(parse(url, { SOME_URL: bad })))
        assert.include(error, "SOME_URL")
        assert.include(error, "e.g. https://example.test")
      }
    }))

  it.effect("optionalSecret: unset, empty or blank is none; a value is redacted", () =>
    Effect.gen(function*() {
      const key = optionalSecret("SOME_KEY")
      for (const env of [{}, { SOME_KEY: "" }, { SOME_KEY: "  \t" }]) assert.isTrue(Option.isNone(yield* parse(key, env)))
      const set = yield* parse(key, { SOME_KEY: "k-SECRET-1" })
      assert.strictEqual(Redacted.value(Option.getOrThrow(set)), "k-SECRET-1")
      assert.notInclude(String(set), "SECRET")
    }))

  it.effect("secret: required and not blank, named in the error, never echoed", () =>
    Effect.gen(function*() {
      const key = secret("SOME_KEY")
      assert.strictEqual(Redacted.value(yield* parse(key, { SOME_KEY: "k-SECRET-1" })), "k-SECRET-1")
      for (const env of [{}, { SOME_KEY: "" }, { SOME_KEY: "   " }]) {
        assert.include(String(yield* Effect.flip(parse(key, env))), "SOME_KEY")
      }
    }))
})

describe("telemetry settings", () => {
  const parse = <A>(config: Config.Config<A>, env: Record<string, string>) => config.pipe(Effect.provide(configFromEnv(env)))

  it.effect("defaults: no export, service fishcloud, metrics every minute; the endpoint loses its trailing slash", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* parse(TelemetryConfig, {}), { endpoint: Option.none(), serviceName: "fishcloud", metricIntervalMs: 60_000 })
      const set = yield* parse(TelemetryConfig, { OTEL_EXPORTER_OTLP_ENDPOINT: " http://127.0.0.1:4318/ ", OTEL_SERVICE_NAME: "fc" })
      assert.deepStrictEqual(set.endpoint, Option.some("http://127.0.0.1:4318"))
      assert.strictEqual(set.serviceName, "fc")
      assert.strictEqual(yield* parse(LogFormat, { LOG_FORMAT: "json" }), "json")
    }))

  for (const [name, value] of [["OTEL_METRIC_EXPORT_INTERVAL", "50"], ["LOG_FORMAT", "xml"]]) {
    it.effect(`a bad ${name} fails with a message naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(parse(Config.all([TelemetryConfig, LogFormat]), { [name!]: value! }))
        assert.include(String(error), name!)
      }))
  }
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
