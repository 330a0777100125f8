/**
 * Every setting of the pod worker, its own program (it runs on a GPU pod, or as a child process of the local
 * provider). A bad value fails start-up with an error naming the variable.
 */
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Config, Context, Effect, Layer, Option, Schema } from "effect"

const boundedInt = (name: string, minimum: number, maximum: number, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })), name).pipe(Config.withDefault(fallback))

/** An http(s) URL without query or fragment, trailing slashes removed (`http://localhost:8000/v1`). */
const baseUrl = (name: string) =>
  Config.schema(
    Schema.String.check(Schema.isPattern(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
      message: "must be an http(s) URL without query or fragment, e.g. http://localhost:8000/v1"
    })),
    name
  ).pipe(Config.map((url) => url.replace(/\/+$/, "")), Config.option)

export const PodWorkerConfig = Config.all({
  /** 0.0.0.0 on a pod (the proxy reaches it from outside); the local provider passes 127.0.0.1. */
  host: Config.String("POD_WORKER_HOST").pipe(Config.withDefault("0.0.0.0")),
  /** 0 picks a free port (the log line and `HttpServer.address` tell which). */
  port: boundedInt("POD_WORKER_PORT", 0, 65_535, 5000),
  /** The data dir (logs, last job, artifacts). Unset: `$TMPDIR/fishcloud-pod-worker-$PORT`. */
  home: Config.String("POD_WORKER_HOME").pipe(Config.option),
  /** The OpenAI-compatible API root of the LLM backend (vLLM: `http://localhost:8000/v1`). Unset: offline policy. */
  llmBaseUrl: baseUrl("LLM_BASE_URL"),
  /** The served model name; unset = the first model the backend lists at `/models`. */
  llmModelName: Config.String("LLM_MODEL_NAME").pipe(Config.option),
  llmApiKey: Config.Redacted("LLM_API_KEY").pipe(Config.option),
  /** LLM calls in flight at once (one per agent within a round). */
  llmConcurrency: boundedInt("POD_WORKER_LLM_CONCURRENCY", 1, 256, 8),
  /** The first back-off between attempts of an LLM call (doubling: 1 s, then 2 s). */
  llmRetryMs: boundedInt("POD_WORKER_LLM_RETRY_MS", 0, 600_000, 1000),
  /** One LLM call's time limit (each attempt). */
  llmTimeoutMs: boundedInt("POD_WORKER_LLM_TIMEOUT_MS", 100, 3_600_000, 120_000),
  /** The pause after each offline round and each preparation stage, so an observer can watch progress. */
  roundDelayMs: boundedInt("POD_WORKER_ROUND_DELAY_MS", 0, 600_000, 1000),
  /** The pause between attempts of an artifact upload. */
  uploadRetryMs: boundedInt("POD_WORKER_UPLOAD_RETRY_MS", 0, 600_000, 2000),
  /**
   * Attempts per artifact upload. 30 attempts 2 s apart keep trying for about a minute, so a restart of the service
   * that serves the presigned URLs (the disk store) while the pod finishes does not lose the artifacts.
   */
  uploadAttempts: boundedInt("POD_WORKER_UPLOAD_ATTEMPTS", 1, 1000, 30),
  /** One upload attempt's time limit. */
  uploadTimeoutMs: boundedInt("POD_WORKER_UPLOAD_TIMEOUT_MS", 100, 3_600_000, 60_000),
  /** The vLLM server's log file, served by `/logs?source=vllm`; unset = no vLLM lines. */
  vllmLogFile: Config.String("VLLM_LOG_FILE").pipe(Config.option)
})
export type PodWorkerConfig = Config.Success<typeof PodWorkerConfig>

/** The default data dir: stable per port, so a restarted worker on the same port finds its logs. */
const defaultHome = (port: number) => NodePath.join(Os.tmpdir(), `fishcloud-pod-worker-${port}`)

export const resolveHome = (settings: PodWorkerConfig) =>
  NodePath.resolve(Option.getOrElse(settings.home, () => defaultHome(settings.port)))

/** The loaded settings, as a service so tests can provide their own. */
export class PodWorkerSettings extends Context.Service<PodWorkerSettings, PodWorkerConfig>()(
  "fishcloud/pod-worker/PodWorkerSettings"
) {
}

/** The worker's settings from the environment. */
export const PodWorkerSettingsLive = Layer.effect(PodWorkerSettings, Effect.gen(function*() {
  return yield* PodWorkerConfig
}))

/** The settings from the environment with some values replaced (tests). */
export const PodWorkerSettingsWith = (overrides: Partial<PodWorkerConfig>) =>
  Layer.effect(PodWorkerSettings, Effect.gen(function*() {
    const loaded = yield* PodWorkerConfig
    return { ...loaded, ...overrides }
  }))
