/**
 * What `fishcloud serve --role ROLE` runs: the database (embedded when DATABASE_URL is unset, migrated), the
 * object store (on disk), and by role: `all` (default) the HTTP API and the workflow runner in one process, `api`
 * the HTTP API starting and cancelling executions, `runner` only the workflow runner.
 */
import { Duration, Effect, Layer, Option } from "effect"
import { HttpServer } from "effect/http"
import { AccountsLive } from "../layers/db/accounts.ts"
import { AuditLive } from "../layers/db/audit.ts"
import { DatabaseLive } from "../layers/db/database.ts"
import { JobStoreLive } from "../layers/db/job-store.ts"
import { QuotasLive } from "../layers/db/quotas.ts"
import { RateLimitsLive } from "../layers/db/rate-limits.ts"
import type { Role } from "../layers/lifecycle/workflow-engine.ts"
import { LifecycleLive } from "./roles/lifecycle-role.ts"
import { DiskObjectStoreLive } from "../layers/storage/disk/disk-store.ts"
import { LoggerLive, TelemetryLive } from "../layers/telemetry/telemetry.ts"
import { FaultyObjectStoreLive } from "../layers/storage/faulty-store.ts"
import type { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "effect/sql"
import { Accounts } from "../services/accounts.ts"
import type { JobLifecycle } from "../services/job-lifecycle.ts"
import { HttpServerLive } from "./api/server/http-server.ts"
import { RunnerHealthLive } from "./api/server/runner-health.ts"
import { type ServiceConfig, serviceUrl, Settings, SettingsLive } from "./config.ts"
import { addressScope } from "./config-checks.ts"
import { signInLink } from "./domain/sign-in-link.ts"
import { type ReadinessPart, Readiness, ReadinessLive } from "./readiness.ts"
import { ShutdownDeadline } from "./shutdown-deadline.ts"

/**
 * Creates the local administrator's token on a service that has none, and says where it is; and logs a one-time
 * sign-in link for the dashboard. The link's code is in the URL's fragment, which browsers never send, so it reaches
 * no access log; the token itself is in no URL and no log line.
 */
const FirstStartToken = Layer.effectDiscard(Effect.gen(function*() {
  const accounts = yield* Accounts
  const settings = yield* Settings
  const readiness = yield* Readiness
  const written = yield* accounts.bootstrapLocalToken(settings.home)
  if (Option.isNone(written)) return yield* readiness.done("first-start bootstrap")
  yield* Effect.logInfo(`first start: created the local user; its API token is in ${written.value.file} (mode 0600)`)
  const address = (yield* HttpServer.HttpServer).address
  const base = Option.getOrElse(
    settings.publicUrl,
    () => serviceUrl(settings.host, address._tag === "UnixPathAddress" ? settings.port : address.port)
  )
  const signIn = yield* accounts.createSignInCode(written.value.user.name, settings.signInCodeTtl)
  yield* Effect.logInfo(
    `first start: open ${signInLink(base, signIn.code)} to sign in to the dashboard (works once, for ` +
      `${Duration.format(settings.signInCodeTtl)}; \`fishcloud sign-in\` prints a new link)`
  )
  yield* readiness.done("first-start bootstrap")
}))

/**
 * The object store chosen by OBJECT_STORE. The disk store is always there: it backs the `/storage` routes of its
 * presigned URLs; with `s3`, the S3 store (merged last, reading its S3_* settings only then) is the one everything
 * else uses. FAKE_STORE_FAULT_RATE (rehearsals) makes that one fail a share of its calls on purpose.
 */
export const StorageLive = Layer.unwrap(Effect.map(Settings, (settings) => {
  // The AWS SDK (about 35 MB of a process's memory) is loaded only for OBJECT_STORE=s3.
  const s3 = Layer.unwrap(Effect.map(Effect.promise(() => import("../layers/storage/s3/s3-store.ts")), (module) => module.S3ObjectStoreLive))
  const store = settings.objectStore === "s3" ? Layer.mergeAll(DiskObjectStoreLive, s3) : DiskObjectStoreLive
  return settings.fakeStoreFaultRate > 0 ? FaultyObjectStoreLive(settings.fakeStoreFaultRate).pipe(Layer.provideMerge(store)) : store
}))

/** The whole service on the given database and lifecycle layers (tests pass their own). */
export const ServiceLive = <EDb, RDb, Extra, ELc, RLc>(
  database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, EDb, RDb>,
  lifecycle: Layer.Layer<JobLifecycle | Extra, ELc, RLc>,
  readinessParts: ReadonlyArray<ReadinessPart> = ["first-start bootstrap"]
) =>
  FirstStartToken.pipe(Layer.provideMerge(HttpServerLive)).pipe(
    Layer.provideMerge(Layer.mergeAll(JobStoreLive, AccountsLive, AuditLive, QuotasLive, RateLimitsLive, lifecycle)),
    Layer.provideMerge(StorageLive),
    Layer.provideMerge(database),
    Layer.provideMerge(ReadinessLive(readinessParts))
  )

/** A runner's probes (`/api/health`, `/api/ready`) on RUNNER_HEALTH_PORT, when it is set. */
const RunnerProbesLive = Layer.unwrap(Effect.map(Settings, (settings) =>
  Option.match(settings.runnerHealthPort, {
    onNone: () => Layer.empty,
    onSome: (port) => RunnerHealthLive(settings.host, port).pipe(Layer.provide(JobStoreLive))
  })))

/** A runner: the workflows and the engine, on the database and the object store; no API (its probes at most). */
const RunnerLive = Layer.mergeAll(LifecycleLive("runner"), RunnerProbesLive).pipe(
  Layer.provideMerge(StorageLive),
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(ReadinessLive(["runner registration"]))
)

/** Says at start-up where pods come from, loudly when they are simulated or time is scaled. */
const RehearsalNotice = Layer.effectDiscard(Effect.gen(function*() {
  const { podProvider, timeScale, objectStore } = yield* Settings
  const scaled = timeScale === 1 ? "" : `; FISHCLOUD_TIME_SCALE=${timeScale}: every lifecycle duration is scaled`
  if (podProvider === "fake") {
    yield* Effect.logWarning(`POD_PROVIDER=fake: rehearsal mode, pods are simulated${scaled}`)
  } else {
    yield* Effect.logInfo(`pods from ${podProvider}, objects in ${objectStore}${scaled}`)
  }
}))

/** The wildcard addresses: they listen on every interface, whatever `addressScope` says of reaching them. */
const wildcardHosts: ReadonlySet<string> = new Set(["0.0.0.0", "::", "[::]"])

/** The warning for a service reachable from the network over plain HTTP, or undefined when it is not. */
const plainHttpWarning = (settings: Pick<ServiceConfig, "host" | "port" | "publicUrl">): string | undefined => {
  const exposed = wildcardHosts.has(settings.host) || addressScope(settings.host) !== "loopback"
  const behindTls = Option.exists(settings.publicUrl, (url) => url.startsWith("https://"))
  if (!exposed || behindTls) return undefined
  return `HOST=${settings.host}: the API listens on port ${settings.port} beyond this machine over plain HTTP, and ` +
    "PUBLIC_URL is not https: API tokens, sign-in links, share links and job data cross the network unencrypted. " +
    "Put TLS in front (a reverse proxy such as Caddy or nginx) and set PUBLIC_URL=https://..., or set HOST=127.0.0.1"
}

/**
 * One WARN line at start when the API listens beyond this machine with no TLS in front (HOST not a loopback
 * address, PUBLIC_URL not https): bearer tokens, sign-in links and share links would cross the network in clear.
 */
export const PlainHttpNotice = Layer.effectDiscard(Effect.gen(function*() {
  const warning = plainHttpWarning(yield* Settings)
  if (warning !== undefined) yield* Effect.logWarning(warning)
}))

const serviceFor = (role: Role) =>
  Layer.mergeAll(
    role === "runner"
      ? RunnerLive
      : ServiceLive(DatabaseLive, LifecycleLive(role), role === "all" ? ["first-start bootstrap", "runner registration"] : ["first-start bootstrap"]),
    RehearsalNotice,
    role === "runner" ? Layer.empty : PlainHttpNotice
  )

/**
 * Telemetry is built first and released last, so the spans and metrics of shutdown are flushed too; the shutdown
 * deadline is built last and released first, so it bounds the whole stop.
 */
export const serve = (role: Role = "all") =>
  Layer.launch(ShutdownDeadline().pipe(
    Layer.provide(serviceFor(role)),
    Layer.provide(Layer.mergeAll(TelemetryLive(role), LoggerLive)),
    Layer.provide(SettingsLive)
  ))
