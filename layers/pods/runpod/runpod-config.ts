/**
 * The RUNPOD_* settings of the RunPod provider (`RunPodProviderLive`, read when POD_PROVIDER=runpod): the REST API
 * v2 (v1 retired on 15 November 2026), what a pod runs, and where its model weights come from (HF_TOKEN,
 * WEIGHTS_CACHE_PREFIX: `pod-env.ts`, `pod/start.sh`).
 */
import { Config, Schema } from "effect"
import { httpUrl, optionalSecret } from "../../../src/config.ts"

/**
 * WEIGHTS_CACHE_PREFIX: an object-store folder (`models`, `cache/weights/`), slashes trimmed at both ends; its
 * segments follow the object key rules (`layers/storage/object-key.ts`).
 */
const weightsCachePrefix = Config.schema(
  Schema.String.check(Schema.isPattern(/^\/*[A-Za-z0-9_-][A-Za-z0-9._-]*(\/+[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/*$/, {
    message: "must be an object-store folder such as models or cache/weights (segments of A-Z a-z 0-9 . _ -, not starting with a dot)"
  })),
  "WEIGHTS_CACHE_PREFIX"
).pipe(Config.map((prefix) => prefix.replace(/^\/+|\/+$/g, "").replace(/\/+/g, "/")), Config.option)

export const RunPodConfig = Config.all({
  /**
   * RUNPOD_API_KEY; unset or empty = none, and the provider refuses to start. Sent only as `Authorization: Bearer`,
   * never logged.
   */
  apiKey: optionalSecret("RUNPOD_API_KEY"),
  /** RUNPOD_API_URL: the API base the `/pods` paths hang off; tests point it at a fake server. */
  apiUrl: httpUrl("RUNPOD_API_URL", "https://api.runpod.io/v2").pipe(Config.withDefault("https://api.runpod.io/v2")),
  /** RUNPOD_IMAGE: the pod image (vLLM + pod worker) built from `pod/Dockerfile`. */
  image: Config.NonEmptyString("RUNPOD_IMAGE").pipe(Config.withDefault("ghcr.io/fishcloud/fishcloud-pod:0.1.0")),
  /** RUNPOD_CLOUD_TYPE: force one pool (`SECURE`, `COMMUNITY` or `ALL`) for every tier; unset = the tier's pool. */
  cloudType: Config.Literals(["ALL", "SECURE", "COMMUNITY"], "RUNPOD_CLOUD_TYPE").pipe(Config.option),
  /**
   * HF_TOKEN: a HuggingFace token handed to each pod, so vLLM downloads the model as a signed-in user (gated models,
   * higher rate limits) when the weights cache cannot serve it; unset or blank = the public hub. Never logged.
   */
  hfToken: optionalSecret("HF_TOKEN"),
  /**
   * WEIGHTS_CACHE_PREFIX: the object-store folder holding model weights, one folder per model id
   * (`{prefix}/Qwen/Qwen3-8B/config.json`...); each pod gets presigned GET URLs for its model's files and fetches
   * them before trying the hub. Unset = no cache.
   */
  weightsCachePrefix
})
