/**
 * `POD_PROVIDER=runpod`: the RunPod provider as a Layer, from the RUNPOD_* settings (`runpod-config.ts`). Without
 * RUNPOD_API_KEY it fails at start, naming the variable, rather than at the first job. The object store serves the
 * pods' weights cache (WEIGHTS_CACHE_PREFIX, `pod-env.ts`).
 */
import { Effect, Layer, Option } from "effect"
import { FetchHttpClient } from "effect/http"
import { ObjectStore } from "../../../services/object-store.ts"
import { PodProvider, PodProviderError } from "../../../services/pod-provider.ts"
import { podBootEnv } from "../pod-env.ts"
import { makeRunPodClient } from "./runpod-client.ts"
import { makeRunPodProvider } from "./runpod-provider.ts"
import { RunPodConfig } from "./runpod-config.ts"

export const RunPodProviderLive = Layer.effect(
  PodProvider,
  Effect.gen(function*() {
    const runpod = yield* RunPodConfig
    if (Option.isNone(runpod.apiKey)) {
      return yield* new PodProviderError({
        reason: "invalid",
        message: "RUNPOD_API_KEY is not set: the RunPod pod provider needs an API key"
      })
    }
    const client = yield* makeRunPodClient({ apiUrl: runpod.apiUrl, apiKey: runpod.apiKey.value })
    const store = yield* ObjectStore
    return makeRunPodProvider(client, {
      image: runpod.image,
      cloudType: runpod.cloudType,
      bootEnv: podBootEnv({ hfToken: runpod.hfToken, weightsCachePrefix: runpod.weightsCachePrefix }, store)
    })
  })
).pipe(Layer.provide(FetchHttpClient.layer))
