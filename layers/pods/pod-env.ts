/**
 * A pod's environment as it leaves for the pod: its secrets (`POD_WORKER_SECRET`, `HF_TOKEN`, the weights URLs)
 * revealed only at this last step; and what a rented pod needs to fetch its model's weights without luck
 * (`podBootEnv`): presigned GET URLs for the weights cached in the object store, and a HuggingFace token.
 * `pod/start.sh` uses them in that order (cache, then the hub with the token, then the public hub).
 */
import { Duration, Effect, Option, Redacted } from "effect"
import type { ObjectStore } from "../../services/object-store.ts"
import type { PodRequest } from "../../services/pod-provider.ts"

type PodEnv = PodRequest["env"]

export const revealEnv = (env: PodEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([name, value]) => [name, Redacted.isRedacted(value) ? Redacted.value(value) : value]))

/** Where a pod's weights may come from besides the public hub (HF_TOKEN, WEIGHTS_CACHE_PREFIX: `runpod-config.ts`). */
interface PodBootSettings {
  readonly hfToken: Option.Option<Redacted.Redacted<string>>
  readonly weightsCachePrefix: Option.Option<string>
}

/**
 * How long a weights URL answers: a pod has 10 minutes to run and 15 more to be healthy (`src/lifecycle/policies.ts`),
 * and a container RunPod starts again soon after should still find its cache.
 */
const weightsUrlLifetime = Duration.hours(2)

/** A file under the model's folder that is not a weight file: `huggingface-cli --local-dir`'s `.cache/` and the like. */
const hidden = (relative: string) => relative.split("/").some((segment) => segment.startsWith("."))

/**
 * `WEIGHTS_CACHE_URLS`: one line per file of `{prefix}/{modelId}/`, `relative-path size url`, what `start.sh` reads.
 * `None` when nothing is cached for the model. A store that fails here costs the pod its cache, not the job: the
 * failure is logged and the pod falls back to the hub.
 */
const cachedWeights = (store: ObjectStore["Service"], prefix: string, modelId: string) => {
  const folder = `${prefix}/${modelId}/`
  return Effect.gen(function*() {
    const files = (yield* store.list(folder)).filter((file) => !hidden(file.key.slice(folder.length)))
    if (files.length === 0) {
      yield* Effect.logInfo(`pod boot: no weights cached under ${folder}; the pod downloads ${modelId} from the hub`)
      return Option.none<string>()
    }
    const lines = yield* Effect.forEach(files, (file) =>
      store.presignGet(file.key, weightsUrlLifetime).pipe(
        Effect.map((url) => `${file.key.slice(folder.length)} ${file.size} ${url}`)
      ))
    yield* Effect.logInfo(`pod boot: ${files.length} weight files of ${modelId} cached under ${folder}`)
    return Option.some(lines.join("\n"))
  }).pipe(
    Effect.catchTag("ObjectStoreError", (error) =>
      Effect.logWarning(
        `pod boot: the weights cache under ${folder} could not be read (${error.operation} ${error.key}: ${error.message}); ` +
          `the pod downloads ${modelId} from the hub`
      ).pipe(Effect.as(Option.none<string>())))
  )
}

/**
 * The environment a pod of `request` gets on top of the request's own so that it boots from the cache or with a
 * token: `HF_TOKEN` only when set, `WEIGHTS_CACHE_URLS` only when a prefix is set and the model has files there.
 * Both stay `Redacted` (a presigned URL is a credential for its object) until `revealEnv`.
 */
export const podBootEnv = (settings: PodBootSettings, store: ObjectStore["Service"]) =>
  Effect.fnUntraced(function*(request: PodRequest) {
    const env: Record<string, Redacted.Redacted<string>> = {}
    if (Option.isSome(settings.hfToken)) env["HF_TOKEN"] = settings.hfToken.value
    const modelId = request.env["MODEL_ID"]
    if (Option.isSome(settings.weightsCachePrefix) && typeof modelId === "string" && modelId !== "") {
      const urls = yield* cachedWeights(store, settings.weightsCachePrefix.value, modelId)
      if (Option.isSome(urls)) env["WEIGHTS_CACHE_URLS"] = Redacted.make(urls.value)
    }
    return env satisfies PodEnv
  })
