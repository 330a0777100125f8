import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ServiceConfig } from "../../src/config.ts"
import { configFromEnv } from "../support/config-env.ts"

const load = (env: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* ServiceConfig
  }).pipe(Effect.provide(configFromEnv(env)))

describe("storage settings", () => {
  it.effect("defaults: no PUBLIC_URL (the listen address is used), a generated signing key, 256 MiB uploads", () =>
    Effect.gen(function*() {
      const config = yield* load({})
      assert.isTrue(Option.isNone(config.publicUrl))
      assert.isTrue(Option.isNone(config.storageSigningKey))
      assert.strictEqual(config.maxUploadBytes, 256 * 1024 * 1024)
    }))

  it.effect("PUBLIC_URL loses its trailing slash, so URLs never hold `//storage`", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* load({ PUBLIC_URL: "https://fish.example/" })).publicUrl, Option.some("https://fish.example"))
      assert.deepStrictEqual((yield* load({ PUBLIC_URL: "http://10.0.0.5:8080/fc" })).publicUrl, Option.some("http://10.0.0.5:8080/fc"))
    }))

  for (const [name, value] of [
    ["PUBLIC_URL", "fish.example"],
    ["PUBLIC_URL", "ftp://fish.example"],
    ["PUBLIC_URL", "https://fish.example/?a=1"],
    ["MAX_UPLOAD_BYTES", "0"],
    ["MAX_UPLOAD_BYTES", "lots"],
    ["STORAGE_SIGNING_KEY", "short-key-that-is-secret"]
  ] as const) {
    it.effect(`${name}=${value} fails with a message naming ${name}`, () =>
      Effect.gen(function*() {
        const error = String(yield* Effect.flip(load({ [name]: value })))
        assert.include(error, name)
        if (name === "STORAGE_SIGNING_KEY") assert.notInclude(error, value, "the secret must not be echoed")
      }))
  }
})
