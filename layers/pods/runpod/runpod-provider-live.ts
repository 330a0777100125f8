/**
 * `POD_PROVIDER=runpod`: the RunPod provider as a Layer, from the RUNPOD_* settings (`runpod-config.ts`). Without
 * RUNPOD_API_KEY it fails at start, naming the variable, rather than at the first job.
 */
import { Effect, Layer, Option } from "effect"
import { FetchHttpClient } from "effect/http"
import { PodProvider, PodProviderError } from "../../../services/pod-provider.ts"
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
    return makeRunPodProvider(client, { image: runpod.image, cloudType: runpod.cloudType })
  })
).pipe(Layer.provide(FetchHttpClient.layer))
