/**
 * The RUNPOD_* settings of the RunPod provider (`RunPodProviderLive`, read when POD_PROVIDER=runpod): the REST API
 * v2 (v1 retired on 15 November 2026) and what a pod runs.
 */
import { Config } from "effect"
import { httpUrl, optionalSecret } from "../../../src/config.ts"

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
  cloudType: Config.Literals(["ALL", "SECURE", "COMMUNITY"], "RUNPOD_CLOUD_TYPE").pipe(Config.option)
})
