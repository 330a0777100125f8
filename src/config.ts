/**
 * The settings of the service core and the composition root, with their defaults and validation, and the shared
 * checks every layer's own settings use. A vendor layer reads its own `Config` slice, defined beside it (the
 * RunPod, S3, xAI, Anthropic and telemetry settings). A bad value fails start-up with an error naming the variable
 * (Config errors carry the path).
 */
import * as NodePath from "node:path"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"

/** An integer setting between `minimum` and `maximum`, `fallback` when unset. */
export const boundedInt = (name: string, minimum: number, maximum: number, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })), name).pipe(Config.withDefault(fallback))

/**
 * An http(s) URL setting without query or fragment, with any trailing slash removed (paths are appended to it).
 * `example` shows up in the error message of a bad value. The one URL check of every URL setting.
 */
export const httpUrl = (name: string, example: string) =>
  Config.schema(
    Schema.String.check(Schema.isPattern(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
      message: `must be an http(s) URL without query or fragment, e.g. ${example}`
    })),
    name
  ).pipe(Config.map((url) => url.replace(/\/+$/, "")))

/** A required secret: `Redacted` (never printed), not blank; a bad value's error never echoes it. */
export const secret = (name: string) =>
  Config.schema(Schema.Redacted(Schema.String.check(Schema.isPattern(/\S/, { message: "must not be empty" }))), name)

/** An optional secret: unset, empty or blank = `None` (the feature it enables is off); else `Redacted`. */
export const optionalSecret = (name: string) =>
  Config.Redacted(name).pipe(
    Config.option,
    Config.map(Option.filter((value) => Redacted.value(value).trim() !== ""))
  )

const host = Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
const port = Config.Port("PORT").pipe(Config.withDefault(8080))
const home = Config.String("FISHCLOUD_HOME").pipe(
  Config.withDefault("./.fishcloud"),
  Config.map((dir) => NodePath.resolve(dir))
)

/** Where browsers and pods reach the service, e.g. `https://fish.example`: http(s), no query, no trailing slash. */
const publicUrl = httpUrl("PUBLIC_URL", "https://fish.example").pipe(Config.option)

/** The secret that signs the disk store's URLs; at least 32 characters. */
const storageSigningKey = Config.schema(
  Schema.Redacted(Schema.String.check(Schema.isMinLength(32, { message: "must be at least 32 characters" }))),
  "STORAGE_SIGNING_KEY"
).pipe(Config.option)

/** An origin as browsers send it in `Origin`: scheme, host, optional port; no path, no trailing slash. */
const originPattern = /^https?:\/\/[^\s/?#:]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-fA-F:.]+\](:\d{1,5})?$/

const corsOrigins = Config.schema(
  Schema.String.check(Schema.makeFilter((text: string) =>
    text.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "").every((origin) => originPattern.test(origin)) ||
    "must be a comma list of origins such as https://app.example (scheme and host, no path)")),
  "CORS_ORIGINS"
).pipe(
  Config.withDefault(""),
  Config.map((text): ReadonlyArray<string> => text.split(",").map((origin) => origin.trim()).filter((origin) => origin !== ""))
)

/** Settings of the service (API + runner). */
export const ServiceConfig = Config.all({
  host,
  port,
  home,
  databaseUrl: Config.option(Config.Redacted("DATABASE_URL")),
  demoMode: Config.Boolean("DEMO_MODE").pipe(Config.withDefault(false)),
  maxSeedChars: boundedInt("MAX_SEED_CHARS", 1, 10_000_000, 50_000),
  duplicateWindowSeconds: boundedInt("DUPLICATE_WINDOW_SECONDS", 0, 86_400, 60),
  /**
   * MAX_QUEUED_JOBS: at most this many jobs starting (PENDING or PROVISIONING, all users) before creates, retries and
   * launches are refused with 503 and `Retry-After` instead of queueing behind them (1 to 1,000,000).
   */
  maxQueuedJobs: boundedInt("MAX_QUEUED_JOBS", 1, 1_000_000, 500),
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
  /** Comma list of rehearsal faults for the fake provider (layers/pods/fake/fake-faults.ts lists them). */
  fakePodFaults: Config.String("FAKE_POD_FAULTS").pipe(Config.withDefault("")),
  /** FAKE_STORE_FAULT_RATE (0 to 0.5): rehearsal, the object store fails this share of its reads and writes. */
  fakeStoreFaultRate: Config.schema(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 0.5 })), "FAKE_STORE_FAULT_RATE").pipe(
    Config.withDefault(0)
  ),
  /** FAKE_POD_FAULT_SEED: each job of a rehearsal draws one fault of its own (or none) from this seed. */
  fakePodFaultSeed: Config.option(Config.schema(Schema.Int, "FAKE_POD_FAULT_SEED")),
  /**
   * Multiplies every lifecycle duration (src/lifecycle/policies.ts): 0.001 (the least) rehearses an hour in seconds;
   * calls keep a floor of their own (`policies.callTimeoutFloor`).
   */
  timeScale: Config.schema(Schema.Finite.check(Schema.isBetween({ minimum: 0.001, maximum: 1000 })), "FISHCLOUD_TIME_SCALE").pipe(
    Config.withDefault(1)
  ),
  /** The address other runners reach this runner on; RUNNER_PORT 0 picks a free port at start. */
  runnerHost: Config.String("RUNNER_HOST").pipe(Config.withDefault("127.0.0.1")),
  runnerPort: boundedInt("RUNNER_PORT", 0, 65_535, 0),
  /**
   * RUNNER_HEALTH_PORT: a `--role runner` process answers `GET /api/health` and `GET /api/ready` on HOST and this
   * port (and nothing else), for an orchestrator's probes; unset = a runner listens on no HTTP port.
   */
  runnerHealthPort: Config.option(Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65_535 })), "RUNNER_HEALTH_PORT")),
  /**
   * MAINTENANCE_EVERY_MINUTES: how often the orphan-pod reaper and the stale-job detector run (a cluster cron: once
   * cluster-wide per tick), 1 to 30.
   */
  maintenanceEveryMinutes: boundedInt("MAINTENANCE_EVERY_MINUTES", 1, 30, 5),
  /**
   * SHUTDOWN_GRACE_SECONDS: how long a SIGTERM may take before the process is killed (`src/shutdown-deadline.ts`),
   * 1 to 600. Keep it below the grace of whatever stops the service (Kubernetes: 30 s, Docker: 10 s).
   */
  shutdownGrace: boundedInt("SHUTDOWN_GRACE_SECONDS", 1, 600, 8).pipe(Config.map(Duration.seconds)),
  /**
   * OBJECT_STORE: which object store holds artifacts and reports, `disk` (default, $FISHCLOUD_HOME/objects) or `s3`
   * (S3, MinIO, R2...; its settings are read by the S3 store, `layers/storage/s3/s3-config.ts`, only then).
   */
  objectStore: Config.Literals(["disk", "s3"], "OBJECT_STORE").pipe(Config.withDefault("disk" as const)),
  /**
   * SIGN_IN_CODE_TTL_MINUTES: how long a one-time sign-in link (first start, `fishcloud sign-in`) works, 1 to 1440.
   */
  signInCodeTtl: boundedInt("SIGN_IN_CODE_TTL_MINUTES", 1, 1440, 15).pipe(Config.map(Duration.minutes)),
  /** SESSION_TTL_HOURS: how long a dashboard session (a token from a sign-in link) lasts, 1 to 8760 (a year). */
  sessionTtl: boundedInt("SESSION_TTL_HOURS", 1, 8760, 24).pipe(Config.map(Duration.hours)),
  /** DEFAULT_MAX_LIVE_JOBS: live jobs a user may have at once unless an administrator set theirs; 0 = no limit. */
  defaultMaxLiveJobs: boundedInt("DEFAULT_MAX_LIVE_JOBS", 0, 1_000_000, 3),
  /** DEFAULT_MAX_LIVE_JOBS_LARGE: of those, live jobs of the large tier; 0 = no limit of its own. */
  defaultMaxLiveJobsLarge: boundedInt("DEFAULT_MAX_LIVE_JOBS_LARGE", 0, 1_000_000, 1),
  /**
   * DEFAULT_MONTHLY_SPEND_CAP_USD: GPU + LLM spend a user's jobs may reach in a calendar month (UTC) before new
   * jobs are refused (402), unless an administrator set theirs; unset = no cap. Administrators have no cap by default.
   */
  defaultMonthlySpendCapUsd: Config.option(
    Config.schema(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000_000 })), "DEFAULT_MONTHLY_SPEND_CAP_USD")
  ),
  /** RATE_LIMIT_READS_PER_MINUTE: GET requests per token a minute (all API processes together); 0 = no limit. */
  rateLimitReadsPerMinute: boundedInt("RATE_LIMIT_READS_PER_MINUTE", 0, 10_000_000, 1200),
  /** RATE_LIMIT_WRITES_PER_MINUTE: POST, PUT, PATCH and DELETE requests per token a minute; 0 = no limit. */
  rateLimitWritesPerMinute: boundedInt("RATE_LIMIT_WRITES_PER_MINUTE", 0, 10_000_000, 300),
  /** RATE_LIMIT_ANONYMOUS_PER_MINUTE: requests without a valid token per client address a minute; 0 = no limit. */
  rateLimitAnonymousPerMinute: boundedInt("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 0, 10_000_000, 300),
  /**
   * CORS_ORIGINS: comma list of exact origins (`https://app.example`, scheme and host, a port when not the
   * default) whose pages may call the API from a browser; empty (default) = CORS off (`src/api/server/cors.ts`).
   */
  corsOrigins: corsOrigins
})
export type ServiceConfig = Config.Success<typeof ServiceConfig>

/** The loaded service settings, as a service so tests can provide their own. */
export class Settings extends Context.Service<Settings, ServiceConfig>()("fishcloud/config/Settings") {
}

/** The service settings from the environment. */
export const SettingsLive = Layer.effect(Settings, Effect.gen(function*() {
  return yield* ServiceConfig
}))

/** The settings from the environment with some values replaced (tests). */
export const SettingsWith = (overrides: Partial<ServiceConfig>) =>
  Layer.effect(Settings, Effect.gen(function*() {
    const loaded = yield* ServiceConfig
    return { ...loaded, ...overrides }
  }))

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
