import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { RunPodConfig } from "../../layers/pods/runpod/runpod-config.ts"
import { configFromEnv } from "../support/config-env.ts"

const load = (env: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* RunPodConfig
  }).pipe(Effect.provide(configFromEnv(env)))

describe("RunPod settings", () => {
  it.effect("defaults: the REST v2 API, the pod image, the tier's pool, no key", () =>
    Effect.gen(function*() {
      const runpod = yield* load({})
      assert.strictEqual(runpod.apiUrl, "https://api.runpod.io/v2")
      assert.strictEqual(runpod.image, "ghcr.io/fishcloud/fishcloud-pod:0.1.0")
      assert.isTrue(Option.isNone(runpod.cloudType))
      assert.isTrue(Option.isNone(runpod.apiKey))
    }))

  it.effect("RUNPOD_API_URL loses its trailing slash; RUNPOD_CLOUD_TYPE and RUNPOD_IMAGE are taken as given", () =>
    Effect.gen(function*() {
      const runpod = yield* load({ RUNPOD_API_URL: "http://127.0.0.1:4010/v2/", RUNPOD_CLOUD_TYPE: "COMMUNITY", RUNPOD_IMAGE: "ghcr.io/me/pod:2" })
      assert.strictEqual(runpod.apiUrl, "http://127.0.0.1:4010/v2")
      assert.deepStrictEqual(runpod.cloudType, Option.some("COMMUNITY"))
      assert.strictEqual(runpod.image, "ghcr.io/me/pod:2")
    }))

  for (const [name, value] of [["RUNPOD_API_URL", "api.runpod.io"], ["RUNPOD_CLOUD_TYPE", "CHEAP"]]) {
    it.effect(`a bad ${name} fails with a message naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ [name!]: value! }))
        assert.include(String(error), name!)
      }))
  }

  it.effect("an empty or blank RUNPOD_API_KEY counts as unset (the provider then refuses to start)", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone((yield* load({ RUNPOD_API_KEY: "" })).apiKey))
      assert.isTrue(Option.isNone((yield* load({ RUNPOD_API_KEY: " \t" })).apiKey))
    }))

  it.effect("the API key is redacted wherever the settings are printed", () =>
    Effect.gen(function*() {
      const runpod = yield* load({ RUNPOD_API_KEY: "rp_SECRET_abc123" })
      assert.strictEqual(Redacted.value(Option.getOrThrow(runpod.apiKey)), "rp_SECRET_abc123")
      assert.notInclude(String(runpod.apiKey), "rp_SECRET")
      assert.notInclude(JSON.stringify(runpod), "rp_SECRET")
    }))
})
