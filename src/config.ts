/**
 * Every setting fishcloud reads, with its default and validation. A bad value fails start-up with an error naming
 * the variable (Config errors carry the path). Later features add their settings here, nowhere else.
 */
import * as NodePath from "node:path"
import { Config, Context, Duration, Effect, Layer, Option, Schema } from "effect"

const boundedInt = (name: string, minimum: number, maximum: number, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })), name).pipe(Config.withDefault(fallback))

const host = Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
const port = Config.Port("PORT").pipe(Config.withDefault(8080))
const home = Config.String("FISHCLOUD_HOME").pipe(
  Config.withDefault("./.fishcloud"),
  Config.map((dir) => NodePath.resolve(dir))
)

/**
 * An http(s) URL setting without query or fragment, with any trailing slash removed (paths are appended to it).
 * `example` shows up in the error message of a bad value.
 */
const httpUrl = (name: string, example: string) =>
  Config.schema(
    Schema.String.check(Schema.isPattern(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
      message: `must be an http(s) URL without query or fragment, e.g. ${example}`
    })),
    name
  ).pipe(Config.map((url) => url.replace(/\/+$/, "")))

/** Where browsers and pods reach the service, e.g. `https://fish.example`: http(s), no query, no trailing slash. */
const publicUrl = httpUrl("PUBLIC_URL", "https://fish.example").pipe(Config.option)

/** RunPod (`layers/pods/runpod`): the REST API v2 (v1 retired on 15 November 2026) and what a pod runs. */
const RunPodConfig = Config.all({
  /** RUNPOD_API_KEY; required when pods come from RunPod. Sent only as `Authorization: Bearer`, never logged. */
  apiKey: Config.schema(
    Schema.Redacted(Schema.String.check(Schema.isMinLength(1, { message: "must not be empty" }))),
    "RUNPOD_API_KEY"
  ).pipe(Config.option),
  /** RUNPOD_API_URL: the API base the `/pods` paths hang off; tests point it at a fake server. */
  apiUrl: httpUrl("RUNPOD_API_URL", "https://api.runpod.io/v2").pipe(Config.withDefault("https://api.runpod.io/v2")),
  /** RUNPOD_IMAGE: the pod image (vLLM + pod worker) built from `pod/Dockerfile`. */
  image: Config.NonEmptyString("RUNPOD_IMAGE").pipe(Config.withDefault("ghcr.io/fishcloud/fishcloud-pod:0.1.0")),
  /** RUNPOD_CLOUD_TYPE: force one pool (`SECURE`, `COMMUNITY` or `ALL`) for every tier; unset = the tier's pool. */
  cloudType: Config.Literals(["ALL", "SECURE", "COMMUNITY"], "RUNPOD_CLOUD_TYPE").pipe(Config.option)
})
export type RunPodSettings = Config.Success<typeof RunPodConfig>

/** The secret that signs the disk store's URLs; at least 32 characters. */
const storageSigningKey = Config.schema(
  Schema.Redacted(Schema.String.check(Schema.isMinLength(32, { message: "must be at least 32 characters" }))),
  "STORAGE_SIGNING_KEY"
).pipe(Config.option)

/** Which object store holds artifacts and reports: `disk` ($FISHCLOUD_HOME/objects) or `s3` (S3, MinIO, R2...). */
const objectStore = Config.Literals(["disk", "s3"], "OBJECT_STORE").pipe(Config.withDefault("disk" as const))

/** An S3 endpoint such as `http://127.0.0.1:9000` (MinIO): http(s), no query, no trailing slash. */
const s3Endpoint = httpUrl("S3_ENDPOINT", "http://127.0.0.1:9000").pipe(Config.option)

/** Bucket names: S3's characters (legacy us-east-1 names included), never a `/` that would change the path. */
const s3Bucket = Config.schema(
  Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._-]{3,255}$/, {
    message: "must be a bucket name: 3 to 255 of the characters a-z A-Z 0-9 . _ -"
  })),
  "S3_BUCKET"
)

/** The S3 settings; read, and the bucket and credentials required, only when OBJECT_STORE=s3. */
const S3Config = Config.all({
  /** S3_ENDPOINT; unset = AWS's own endpoint for the region. */
  endpoint: s3Endpoint,
  bucket: s3Bucket,
  accessKeyId: Config.NonEmptyString("S3_ACCESS_KEY_ID"),
  secretAccessKey: Config.schema(
    Schema.Redacted(Schema.String.check(Schema.isMinLength(1, { message: "must not be empty" }))),
    "S3_SECRET_ACCESS_KEY"
  ),
  region: Config.NonEmptyString("S3_REGION").pipe(Config.withDefault("us-east-1")),
  /** `bucket` in the path rather than the host name: what MinIO and most self-hosted servers need. */
  forcePathStyle: Config.Boolean("S3_FORCE_PATH_STYLE").pipe(Config.withDefault(true)),
  /** Create the bucket at start if it does not exist (MinIO development setups). */
  createBucket: Config.Boolean("S3_CREATE_BUCKET").pipe(Config.withDefault(false))
})
export type S3Settings = Config.Success<typeof S3Config>

const s3 = objectStore.pipe(Config.flatMap((kind) =>
  kind === "s3" ? S3Config.pipe(Config.map(Option.some)) : Config.succeed(Option.none<S3Settings>())
))

/** Settings of the service (API + runner). */
export const ServiceConfig = Config.all({
  host,
  port,
  home,
  databaseUrl: Config.option(Config.Redacted("DATABASE_URL")),
  demoMode: Config.Boolean("DEMO_MODE").pipe(Config.withDefault(false)),
  maxSeedChars: boundedInt("MAX_SEED_CHARS", 1, 10_000_000, 50_000),
  duplicateWindowSeconds: boundedInt("DUPLICATE_WINDOW_SECONDS", 0, 86_400, 60),
  maxBodyBytes: boundedInt("MAX_BODY_BYTES", 1024, 64 * 1024 * 1024, 1024 * 1024),
  /** PUBLIC_URL; unset = the address the service listens on (`serviceUrl`). */
  publicUrl,
  /** STORAGE_SIGNING_KEY; unset = a random key kept in `$FISHCLOUD_HOME/storage-signing-key`. */
  storageSigningKey,
  /** Largest object uploaded through a presigned URL of the disk store. */
  maxUploadBytes: boundedInt("MAX_UPLOAD_BYTES", 1024, 64 * 1024 * 1024 * 1024, 256 * 1024 * 1024),
  /**
   * Where pods come from: `local` (default) pod-worker processes on this machine, `runpod` rented GPUs, `fake`
   * rehearsal mode (simulated pods with scripted faults, FAKE_POD_FAULTS).
   */
  podProvider: Config.Literals(["local", "runpod", "fake"], "POD_PROVIDER").pipe(Config.withDefault("local" as "local" | "runpod" | "fake")),
  /** OpenAI-compatible endpoint for the agents of local pods; unset = their seeded offline policy. */
  localPodLlmUrl: Config.option(Config.String("LOCAL_POD_LLM_BASE_URL")),
  /** Comma list of rehearsal faults for the fake provider (layers/pods/fake/faults.ts lists them). */
  fakePodFaults: Config.String("FAKE_POD_FAULTS").pipe(Config.withDefault("")),
  /** XAI_API_KEY: xAI Grok for seed enrichment and market derivation; unset or empty = the offline stand-ins. */
  xaiApiKey: Config.String("XAI_API_KEY").pipe(
    Config.withDefault(""),
    Config.flatMap((raw) =>
      raw.trim() === "" ? Config.succeed(Option.none()) : Config.Redacted("XAI_API_KEY").pipe(Config.map(Option.some))
    )
  ),
  /** XAI_BASE_URL: the xAI API root the `/responses` path hangs off (gateways, proxies, test fakes). */
  xaiBaseUrl: Config.String("XAI_BASE_URL").pipe(
    Config.withDefault("https://api.x.ai/v1"),
    Config.map((url) => url.replace(/\/+$/, ""))
  ),
  /** XAI_MODEL: the Grok model of both xAI steps. */
  xaiModel: Config.NonEmptyString("XAI_MODEL").pipe(Config.withDefault("grok-4-fast-non-reasoning")),
  /** The RUNPOD_* settings (read always; the key is checked when the RunPod provider starts). */
  runpod: RunPodConfig,
  /** Multiplies every lifecycle duration (src/lifecycle/policies.ts): 0.001 rehearses an hour in seconds. */
  timeScale: Config.schema(Schema.Finite.check(Schema.isBetween({ minimum: 0.000001, maximum: 1000 })), "FISHCLOUD_TIME_SCALE").pipe(
    Config.withDefault(1)
  ),
  /** The ANTHROPIC_* settings of the Anthropic report writer (layers/llm/anthropic-report-writer.ts). */
  anthropic: Config.all({
    /** ANTHROPIC_API_KEY; unset or empty = no Anthropic (the offline report writer). Sent only as a header, never logged. */
    apiKey: Config.String("ANTHROPIC_API_KEY").pipe(
      Config.withDefault(""),
      Config.flatMap((raw) =>
        raw.trim() === "" ? Config.succeed(Option.none()) : Config.Redacted("ANTHROPIC_API_KEY").pipe(Config.map(Option.some))
      )
    ),
    /** ANTHROPIC_BASE_URL: the API root without `/v1` (a gateway or proxy); unset = the SDK's default. */
    baseUrl: httpUrl("ANTHROPIC_BASE_URL", "https://api.anthropic.com").pipe(Config.option),
    /** ANTHROPIC_MODEL: the model that writes the report. */
    model: Config.NonEmptyString("ANTHROPIC_MODEL").pipe(Config.withDefault("claude-opus-5")),
    /** ANTHROPIC_MAX_TOKENS: the output limit of each turn. */
    maxTokens: boundedInt("ANTHROPIC_MAX_TOKENS", 1, 128_000, 4096)
  }),
  /** The address other runners reach this runner on; RUNNER_PORT 0 picks a free port at start. */
  runnerHost: Config.String("RUNNER_HOST").pipe(Config.withDefault("127.0.0.1")),
  runnerPort: boundedInt("RUNNER_PORT", 0, 65_535, 0),
  /** Telemetry (layers/telemetry.ts): OTLP/HTTP (JSON) export of traces and metrics; off when the endpoint is unset. */
  telemetry: Config.all({
    /** OTEL_EXPORTER_OTLP_ENDPOINT, e.g. `http://127.0.0.1:4318`; `/v1/traces` and `/v1/metrics` are appended. */
    endpoint: Config.String("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(
      Config.map((url) => url.trim().replace(/\/+$/, "")),
      Config.option,
      Config.map(Option.filter((url) => url.length > 0))
    ),
    serviceName: Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("fishcloud")),
    /** OTEL_METRIC_EXPORT_INTERVAL: milliseconds between metric exports (and a final export on shutdown). */
    metricIntervalMs: boundedInt("OTEL_METRIC_EXPORT_INTERVAL", 100, 3_600_000, 60_000)
  }),
  /** LOG_FORMAT: `pretty` (the default on a terminal) or `json` (one object a line; the default otherwise). */
  logFormat: Config.Literals(["pretty", "json"], "LOG_FORMAT").pipe(
    Config.withDefault(process.stdout.isTTY === true ? "pretty" as const : "json" as const)
  ),
  /** OBJECT_STORE: `disk` (default) or `s3`. */
  objectStore,
  /** The S3_* settings: Some exactly when OBJECT_STORE=s3. */
  s3
})
export type ServiceConfig = Config.Success<typeof ServiceConfig>

/** The loaded service settings, as a service so tests can provide their own. */
export class Settings extends Context.Service<Settings, ServiceConfig>()("fishcloud/config/Settings") {
  static readonly layer = Layer.effect(Settings, Effect.gen(function*() {
    return yield* ServiceConfig
  }))
  /** The settings from the environment with some values replaced (tests). */
  static readonly layerWith = (overrides: Partial<ServiceConfig>) =>
    Layer.effect(Settings, Effect.gen(function*() {
      const loaded = yield* ServiceConfig
      return { ...loaded, ...overrides }
    }))
}

/** Settings of the CLI: where the API is and which token to use (else `$FISHCLOUD_HOME/token`). */
export const CliConfig = Config.all({
  url: Config.String("FISHCLOUD_URL").pipe(Config.option),
  token: Config.option(Config.Redacted("FISHCLOUD_TOKEN")),
  home,
  host,
  port,
  /** How often `fishcloud submit --wait` polls the job (e.g. "2 seconds", "200 millis"). */
  waitInterval: Config.Duration("FISHCLOUD_WAIT_INTERVAL").pipe(Config.withDefault(Duration.seconds(2)))
})

/** The base URL the CLI talks to: FISHCLOUD_URL, else the local service address. */
export const cliBaseUrl = (config: Config.Success<typeof CliConfig>): string =>
  Option.getOrElse(config.url, () => serviceUrl(config.host, config.port))

/** The URL of a service listening on host:port, as a client reaches it. */
export const serviceUrl = (host: string, port: number): string => `http://${reachableHost(host)}:${port}`

/** A wildcard bind address is reached on loopback; an IPv6 literal needs brackets in a URL. */
const reachableHost = (host: string) => {
  if (host === "0.0.0.0") return "127.0.0.1"
  if (host === "::") return "[::1]"
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
}
