/**
 * What a rented pod is given to fetch its model's weights (`layers/pods/pod-env.ts`): HF_TOKEN only when set,
 * presigned URLs of the weights cached in the object store only when WEIGHTS_CACHE_PREFIX is set and the model has
 * files there; both in the create body the pod gets, neither in a log line, a span or an error.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { RunPodConfig } from "../../layers/pods/runpod/runpod-config.ts"
import { configFromEnv } from "../support/config-env.ts"
import { fakeRunPod } from "../support/fake-runpod.ts"
import { request, runpodProvider } from "../support/runpod-provider.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"

const token = "hf_SECRET_token_7c1d"
const bytes = (size: number) => ({ body: new Uint8Array(size), contentType: "application/octet-stream" })
const cached = [
  ["models/Qwen/Qwen3-8B/config.json", bytes(12)],
  ["models/Qwen/Qwen3-8B/model-00001-of-00002.safetensors", bytes(40)],
  ["models/Qwen/Qwen3-8B/model-00002-of-00002.safetensors", bytes(30)],
  ["models/Qwen/Qwen3-8B/.cache/huggingface/download/config.json.metadata", bytes(5)],
  ["models/Qwen/Qwen3-14B/config.json", bytes(9)]
] as const

const sentEnv = (bodies: ReadonlyArray<Record<string, unknown>>) => bodies[0]!["env"] as Record<string, string>

describe("RunPod pods: how they get their weights", () => {
  it.effect("with neither HF_TOKEN nor WEIGHTS_CACHE_PREFIX, the pod gets the request's environment and nothing more", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake, {}, { objects: cached })
      yield* provider.create(request())
      assert.deepStrictEqual(sentEnv(fake.createBodies()), request().env)
    }))

  it.effect("HF_TOKEN reaches the pod in plain, and no log line, span or error", () => {
    const telemetry = telemetryRecorder()
    return Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake, { HF_TOKEN: token })
      yield* telemetry.record(provider.create(request()))
      assert.strictEqual(sentEnv(fake.createBodies())["HF_TOKEN"], token)
      assert.notProperty(sentEnv(fake.createBodies()), "WEIGHTS_CACHE_URLS")
      fake.script({ unprocessable: "bad env" })
      const refused = yield* telemetry.record(provider.create(request({ name: "fishcloud-sim-j42-a2" }))).pipe(Effect.flip)
      assert.include(telemetry.spanNames(), "RunPod.create")
      for (const text of [String(refused), JSON.stringify(refused), ...telemetry.lines, ...telemetry.spanText()]) {
        assert.notInclude(text, token)
      }
    })
  })

  it.effect("with a cache prefix, the pod gets one presigned GET URL per file of its model (path, size, URL), never logged", () => {
    const telemetry = telemetryRecorder()
    return Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake, { WEIGHTS_CACHE_PREFIX: "/models/" }, { objects: cached })
      yield* telemetry.record(provider.create(request()))
      const env = sentEnv(fake.createBodies())
      assert.notProperty(env, "HF_TOKEN", "no token when HF_TOKEN is unset")
      assert.deepStrictEqual(env["WEIGHTS_CACHE_URLS"]!.split("\n"), [
        "config.json 12 memory://models/Qwen/Qwen3-8B/config.json?op=get&expires_in=7200",
        "model-00001-of-00002.safetensors 40 memory://models/Qwen/Qwen3-8B/model-00001-of-00002.safetensors?op=get&expires_in=7200",
        "model-00002-of-00002.safetensors 30 memory://models/Qwen/Qwen3-8B/model-00002-of-00002.safetensors?op=get&expires_in=7200"
      ])
      assert.strictEqual(env["MODEL_ID"], "Qwen/Qwen3-8B", "the request's own environment is kept")
      assert.isTrue(telemetry.lines.some((line) => line.includes("3 weight files of Qwen/Qwen3-8B cached under models/Qwen/Qwen3-8B/")))
      for (const text of [...telemetry.lines, ...telemetry.spanText()]) assert.notInclude(text, "op=get")
    })
  })

  it.effect("a prefix with nothing cached for the model: no URLs, and the log says the pod uses the hub", () => {
    const telemetry = telemetryRecorder()
    return Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake, { WEIGHTS_CACHE_PREFIX: "models", HF_TOKEN: token }, { objects: cached })
      yield* telemetry.record(provider.create(request({ env: { ...request().env, MODEL_ID: "Qwen/Qwen3-32B" } })))
      const env = sentEnv(fake.createBodies())
      assert.notProperty(env, "WEIGHTS_CACHE_URLS")
      assert.strictEqual(env["HF_TOKEN"], token)
      assert.isTrue(telemetry.lines.some((line) => line.includes("no weights cached under models/Qwen/Qwen3-32B/")))
    })
  })

  it.effect("a store that fails to list costs the pod its cache, not the job: the pod is created and a warning says why", () => {
    const telemetry = telemetryRecorder()
    return Effect.gen(function*() {
      const fake = yield* fakeRunPod()
      const provider = yield* runpodProvider(fake, { WEIGHTS_CACHE_PREFIX: "models" }, {
        objects: cached,
        failWhen: (operation) => operation === "list"
      })
      const pod = yield* telemetry.record(provider.create(request()))
      assert.strictEqual(pod.name, "fishcloud-sim-j42-a1")
      assert.notProperty(sentEnv(fake.createBodies()), "WEIGHTS_CACHE_URLS")
      assert.isTrue(telemetry.lines.some((line) => line.includes("level=WARN") && line.includes("could not be read")))
    })
  })
})

describe("pod boot settings", () => {
  const load = (env: Record<string, string>) =>
    Effect.gen(function*() {
      return yield* RunPodConfig
    }).pipe(Effect.provide(configFromEnv(env)))

  it.effect("unset: no token, no cache; a blank HF_TOKEN counts as unset", () =>
    Effect.gen(function*() {
      const none = yield* load({})
      assert.isTrue(Option.isNone(none.hfToken))
      assert.isTrue(Option.isNone(none.weightsCachePrefix))
      assert.isTrue(Option.isNone((yield* load({ HF_TOKEN: "  " })).hfToken))
    }))

  it.effect("HF_TOKEN is redacted wherever the settings are printed", () =>
    Effect.gen(function*() {
      const settings = yield* load({ HF_TOKEN: token })
      assert.strictEqual(Redacted.value(Option.getOrThrow(settings.hfToken)), token)
      assert.notInclude(JSON.stringify(settings), token)
      assert.notInclude(String(settings.hfToken), token)
    }))

  it.effect("WEIGHTS_CACHE_PREFIX loses its slashes at both ends; a prefix outside the key rules is refused, naming it", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* load({ WEIGHTS_CACHE_PREFIX: "/cache//weights/" })).weightsCachePrefix, Option.some("cache/weights"))
      for (const bad of ["../models", "models/../x", "models weights", ".hidden"]) {
        const error = yield* Effect.flip(load({ WEIGHTS_CACHE_PREFIX: bad }))
        assert.include(String(error), "WEIGHTS_CACHE_PREFIX", bad)
      }
    }))
})
