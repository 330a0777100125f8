/**
 * Every setting of the pod worker, its own program (it runs on a GPU pod, or as a child process of the local
 * provider). A bad value fails start-up with an error naming the variable; so does a missing POD_WORKER_SECRET.
 */
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Config, Context, Data, Duration, Effect, Layer, Option, type Redacted, Schema } from "effect"

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

/** A duration longer than zero, written `30 minutes`, `2 hours` or `500 millis`. */
const positiveDuration = (name: string, fallback: Duration.Duration) =>
  Config.schema(
    Schema.DurationFromString.check(
      Schema.makeFilter((duration: Duration.Duration) =>
        Duration.isGreaterThan(duration, Duration.zero) ? undefined : "must be longer than zero, e.g. 30 minutes"
      )
    ),
    name
  ).pipe(Config.withDefault(fallback))

/** Every setting that has a default (all but the secret). */
const PodWorkerTunables = Config.all({
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
  vllmLogFile: Config.String("VLLM_LOG_FILE").pipe(Config.option),
  /**
   * The dead-man's switch once a job has ended (`idle-rule.ts`): no authenticated request for this long and the
   * worker stops. The service polls every few seconds while it cares, so half an hour of silence means it lost the pod.
   */
  idleTimeout: positiveDuration("POD_IDLE_TIMEOUT", Duration.minutes(30)),
  /**
   * The same before any job ended: longer, because a model may take long to load and the service may be restarting
   * while the pod starts.
   */
  idleTimeoutBeforeJob: positiveDuration("POD_IDLE_TIMEOUT_BEFORE_JOB", Duration.hours(2))
})

/**
 * POD_WORKER_SECRET: the bearer secret every request but `GET /health` must carry. Unset or empty is refused by
 * `PodWorkerSettingsLive` with a message of its own; shorter than 16 characters is refused here (a guessable secret
 * protects nothing). The error never echoes the value.
 */
const workerSecret = Config.schema(
  Schema.Redacted(Schema.String.check(Schema.isMinLength(16, { message: "must be at least 16 characters" }))),
  "POD_WORKER_SECRET"
).pipe(Config.option)

export type PodWorkerConfig = Config.Success<typeof PodWorkerTunables> & {
  /** Never logged, never echoed: compared in constant time with each request's bearer token. */
  readonly secret: Redacted.Redacted<string>
}

/** The worker refuses to start without its secret: an open worker on a public proxy URL is anyone's. */
class WorkerSecretMissing extends Data.TaggedError("WorkerSecretMissing")<{ readonly message: string }> {}

/** The default data dir: stable per port, so a restarted worker on the same port finds its logs. */
const defaultHome = (port: number) => NodePath.join(Os.tmpdir(), `fishcloud-pod-worker-${port}`)

export const resolveHome = (settings: PodWorkerConfig) =>
  NodePath.resolve(Option.getOrElse(settings.home, () => defaultHome(settings.port)))

/** The loaded settings, as a service so tests can provide their own. */
export class PodWorkerSettings extends Context.Service<PodWorkerSettings, PodWorkerConfig>()(
  "fishcloud/pod-worker/PodWorkerSettings"
) {
}

/** The worker's settings from the environment; a missing POD_WORKER_SECRET stops start-up, saying why. */
export const PodWorkerSettingsLive = Layer.effect(PodWorkerSettings, Effect.gen(function*() {
  const tunables = yield* PodWorkerTunables
  const secret = yield* workerSecret
  if (Option.isNone(secret)) {
    return yield* new WorkerSecretMissing({
      message: "POD_WORKER_SECRET is not set. The worker answers only requests that carry " +
        "`Authorization: Bearer <POD_WORKER_SECRET>` (GET /health excepted), and every pod provider sets it; " +
        "to run the worker by hand, set it to a random string of at least 16 characters"
    })
  }
  return { ...tunables, secret: secret.value }
}))

/** The settings from the environment with some values replaced, the secret always among them (tests). */
export const PodWorkerSettingsWith = (overrides: Partial<PodWorkerConfig> & Pick<PodWorkerConfig, "secret">) =>
  Layer.effect(PodWorkerSettings, Effect.gen(function*() {
    const loaded = yield* PodWorkerTunables
    return { ...loaded, ...overrides }
  }))
