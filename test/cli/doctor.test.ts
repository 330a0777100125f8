/**
 * `fishcloud doctor` as an operator runs it before the first paid GPU hour: a good configuration passes (exit 0), each
 * broken one is named with its fix (exit 1) and no secret is printed; and `serve` refuses the configuration that
 * would rent pods unable to upload (RunPod with a loopback PUBLIC_URL) before calling RunPod at all.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted, Schedule } from "effect"
import { migrate, PgClientLive } from "../../layers/db/database.ts"
import { addressScope, configFindings } from "../../src/config-checks.ts"
import { ServiceConfig } from "../../src/config.ts"
import { assertOneLineError, type CliResult, closedPort, runCli, scopedHome, startCli } from "../support/cli-process.ts"
import { uniqueBucket } from "../support/fake-s3.ts"
import { fakeRunPod } from "../support/fake-runpod.ts"
import { scopedOtlpReceiver } from "../support/otlp-receiver.ts"
import { signingS3 } from "../support/signing-s3.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const s3Key = "doctor-test-key"
const s3Secret = "doctor-test-secret-5c1f0e9a7b"

/** The printed line of `check` (a finding and, on the next line, its fix). */
const finding = (result: CliResult, check: string): string => {
  const lines = result.stdout.split("\n")
  const at = lines.findIndex((line) => line.slice(8).startsWith(`${check}: `))
  assert.isAtLeast(at, 0, `no "${check}" line in: ${result.stdout}`)
  const next = lines[at + 1] ?? ""
  return next.startsWith(" ".repeat(8)) ? `${lines[at]}\n${next}` : lines[at]!
}

const assertFound = (result: CliResult, severity: "ok" | "warning" | "error", check: string, ...words: ReadonlyArray<string>) => {
  const text = finding(result, check)
  assert.isTrue(text.startsWith(severity.padEnd(8)), `expected ${severity}: ${text}`)
  for (const word of words) assert.include(text, word)
}

const assertFailed = (result: CliResult) => {
  assert.strictEqual(result.code, 1, `expected exit 1; stdout: ${result.stdout} stderr: ${result.stderr}`)
  assert.match(result.stderr, /doctor found \d+ errors?/)
  assert.notInclude(result.stderr, "    at ", "no stack trace")
}

/** The free checks' errors for a configuration given as its environment. */
const freeErrors = (env: Record<string, string>, s3Endpoint?: string) =>
  ServiceConfig.pipe(
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })),
    Effect.map((settings) =>
      configFindings({ settings, s3Endpoint: Option.fromNullishOr(s3Endpoint) })
        .filter((finding) => finding.severity === "error")
        .map((finding) => finding.message)
    )
  )

describe("the free checks serve runs before starting", () => {
  it("sorts addresses by who can reach them", () => {
    for (const host of ["127.0.0.1", "127.8.0.1", "localhost", "api.localhost", "[::1]", "0.0.0.0", "::ffff:127.0.0.1"]) {
      assert.strictEqual(addressScope(host), "loopback", host)
    }
    for (const host of ["10.0.0.5", "172.16.0.1", "172.31.255.1", "192.168.1.20", "169.254.1.1", "100.64.0.1", "fd12:3456::1", "fe80::1"]) {
      assert.strictEqual(addressScope(host), "private", host)
    }
    for (const host of ["203.0.113.7", "172.32.0.1", "8.8.8.8", "2001:db8::1"]) assert.strictEqual(addressScope(host), "public", host)
    assert.strictEqual(addressScope("fish.example"), "name")
  })

  it.effect("refuse a remote provider whose pods could not upload; accept local pods and reachable addresses", () =>
    Effect.gen(function*() {
      const runpod = { POD_PROVIDER: "runpod" }
      // Unset PUBLIC_URL means the listen address, 127.0.0.1:8080 by default, and 0.0.0.0 is reached on loopback.
      assert.match((yield* freeErrors(runpod))[0] ?? "", /PUBLIC_URL is unset, so pods would use http:\/\/127\.0\.0\.1:8080/)
      assert.lengthOf(yield* freeErrors({ ...runpod, HOST: "0.0.0.0" }), 1)
      assert.lengthOf(yield* freeErrors({ ...runpod, PUBLIC_URL: "http://10.1.2.3:8080" }), 1)
      assert.deepStrictEqual(yield* freeErrors({ ...runpod, PUBLIC_URL: "https://fish.example" }), [])
      assert.deepStrictEqual(yield* freeErrors({ ...runpod, PUBLIC_URL: "http://203.0.113.7:8080" }), [])
      // With S3 the pods upload to S3_ENDPOINT, not to PUBLIC_URL.
      const s3 = { ...runpod, OBJECT_STORE: "s3" }
      assert.match((yield* freeErrors(s3, "http://127.0.0.1:9000"))[0] ?? "", /S3_ENDPOINT http:\/\/127\.0\.0\.1:9000 is a loopback address/)
      assert.deepStrictEqual(yield* freeErrors(s3, "https://s3.fish.example"), [])
      assert.deepStrictEqual(yield* freeErrors(s3), [], "AWS's own endpoint")
      // Local and rehearsal pods run here: loopback is right.
      assert.deepStrictEqual(yield* freeErrors({ POD_PROVIDER: "local" }), [])
      assert.deepStrictEqual(yield* freeErrors({ POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.01" }), [])
      // A scaled clock would judge rented pods by rehearsal deadlines.
      const scaled = yield* freeErrors({ ...runpod, PUBLIC_URL: "https://fish.example", FISHCLOUD_TIME_SCALE: "0.01" })
      assert.match(scaled[0] ?? "", /FISHCLOUD_TIME_SCALE/)
    }))
})

const migrated = (url: string) => migrate.pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

it.live("a good configuration (database, disk store, local pods, offline LLMs) passes with exit 0", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    yield* migrated(database.url)
    const home = yield* scopedHome
    const port = String(yield* closedPort)
    const collector = yield* scopedOtlpReceiver
    const result = yield* runCli(["doctor"], {
      DATABASE_URL: database.url,
      FISHCLOUD_HOME: home,
      PORT: port,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint
    })
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout} stderr: ${result.stderr}`)
    assertFound(result, "ok", "settings", "POD_PROVIDER=local", "OBJECT_STORE=disk", "offline")
    assertFound(result, "ok", "database", "reachable and migrated")
    // Nothing serves the disk store's /storage route: the HTTP part is a warning, not an error.
    assertFound(result, "warning", "object store", "not running", `127.0.0.1:${port}`, "fix:")
    assertFound(result, "ok", "pods reach the service")
    assertFound(result, "ok", "xAI", "offline")
    assertFound(result, "ok", "Anthropic", "offline")
    assertFound(result, "ok", "OTLP", "accepts traces")
    assert.match(result.stdout, /doctor: 0 errors, 1 warning\n$/)
  }))

it.live("with the service running, the disk store's presigned GET is fetched from its /storage route", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const port = String(yield* closedPort)
    const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port }
    // The service is stopped when the test's scope closes.
    yield* startCli(["serve"], env)
    yield* Effect.tryPromise(() => fetch(`http://127.0.0.1:${port}/api/health`)).pipe(
      Effect.filterOrFail((response) => response.ok),
      Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 300 }),
      Effect.orDie
    )
    const result = yield* runCli(["doctor"], env)
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout} stderr: ${result.stderr}`)
    assertFound(result, "ok", "object store", "presigned GET over HTTP", `http://127.0.0.1:${port}`, "(disk)")
    assert.match(result.stdout, /doctor: every check passed\n$/)
  }), 150_000)

it.live("a database that is not migrated is a warning; one that cannot be reached is an error, without its password", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const fresh = yield* runCli(["doctor"], { DATABASE_URL: database.url, FISHCLOUD_HOME: home })
    assert.strictEqual(fresh.code, 0, fresh.stdout)
    assertFound(fresh, "warning", "database", "not applied yet", "0001_initial", "fishcloud migrate")

    const port = yield* closedPort
    const password = "doctor-db-password-4411"
    const broken = yield* runCli(["doctor"], { DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:${port}/fishcloud`, FISHCLOUD_HOME: home })
    assertFailed(broken)
    assertFound(broken, "error", "database", "DATABASE_URL", "ECONNREFUSED", "fix:")
    assert.notInclude(broken.stdout + broken.stderr, password)
    // The other checks still run and pass.
    assertFound(broken, "ok", "pod provider")
  }))

it.live("the S3 store: a round trip passes; a missing bucket and a wrong secret are named, the secret never printed", () =>
  Effect.gen(function*() {
    const s3 = yield* signingS3({ accessKeyId: s3Key, secretAccessKey: s3Secret })
    const bucket = uniqueBucket("doctor")
    yield* s3.backend.createBucket(bucket)
    const home = yield* scopedHome
    const env = {
      FISHCLOUD_HOME: home,
      OBJECT_STORE: "s3",
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3Key,
      S3_SECRET_ACCESS_KEY: s3Secret
    }
    const [good, missing, wrongSecret] = yield* Effect.all([
      runCli(["doctor"], env),
      runCli(["doctor"], { ...env, S3_BUCKET: "doctor-no-such-bucket" }),
      runCli(["doctor"], { ...env, S3_SECRET_ACCESS_KEY: "doctor-wrong-secret-77aa" })
    ], { concurrency: "unbounded" })

    assert.strictEqual(good.code, 0, `stdout: ${good.stdout} stderr: ${good.stderr}`)
    assertFound(good, "ok", "object store", "presigned GET over HTTP", s3.endpoint)

    assertFailed(missing)
    assertFound(missing, "error", "object store", "doctor-no-such-bucket does not exist", "S3_CREATE_BUCKET")

    assertFailed(wrongSecret)
    assertFound(wrongSecret, "error", "object store", "S3_SECRET_ACCESS_KEY")
    for (const result of [good, missing, wrongSecret]) {
      assert.notInclude(result.stdout + result.stderr, s3Secret)
      assert.notInclude(result.stdout + result.stderr, "doctor-wrong-secret-77aa")
    }
  }))

it.live("settings that do not parse are named with the variable; nothing else is checked without them", () =>
  Effect.gen(function*() {
    const home = yield* scopedHome
    const result = yield* runCli(["doctor"], { FISHCLOUD_HOME: home, MAX_QUEUED_JOBS: "many" })
    assertFailed(result)
    assertFound(result, "error", "settings", "MAX_QUEUED_JOBS", "fix:")
    assert.notMatch(result.stdout, /^\w+\s+database:/m)
  }))

it.live("an unreachable LLM base URL (or OTLP endpoint) is an error naming the setting, and the key is not printed", () =>
  Effect.gen(function*() {
    const home = yield* scopedHome
    const xaiPort = yield* closedPort
    const anthropicPort = yield* closedPort
    const otlpPort = yield* closedPort
    const result = yield* runCli(["doctor"], {
      FISHCLOUD_HOME: home,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      XAI_API_KEY: "xai-doctor-key-0123456789",
      XAI_BASE_URL: `http://127.0.0.1:${xaiPort}/v1`,
      ANTHROPIC_API_KEY: "sk-ant-doctor-key-0123456789",
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${anthropicPort}`
    })
    assertFailed(result)
    assertFound(result, "ok", "settings", "on xAI and Anthropic")
    assertFound(result, "error", "xAI", "XAI_BASE_URL", "unreachable", "fix:")
    assertFound(result, "error", "Anthropic", "ANTHROPIC_BASE_URL", "unreachable", "fix:")
    assertFound(result, "error", "OTLP", "unreachable", "fix:")
    assert.notInclude(result.stdout + result.stderr, "xai-doctor-key-0123456789")
    assert.notInclude(result.stdout + result.stderr, "sk-ant-doctor-key-0123456789")
  }))

it.live("RunPod with a loopback PUBLIC_URL: doctor names it and exits 1; serve refuses to start without calling RunPod", () =>
  Effect.gen(function*() {
    const runpod = yield* fakeRunPod()
    const home = yield* scopedHome
    const env = {
      FISHCLOUD_HOME: home,
      POD_PROVIDER: "runpod",
      RUNPOD_API_KEY: runpod.apiKey,
      RUNPOD_API_URL: runpod.url,
      PUBLIC_URL: "http://127.0.0.1:8080"
    }

    const served = yield* runCli(["serve"], env)
    assertOneLineError(served, "serve refused to start: pods reach the service")
    assert.include(served.stderr, "PUBLIC_URL http://127.0.0.1:8080 is a loopback address")
    assert.include(served.stderr, "fix: set PUBLIC_URL")
    assert.deepStrictEqual(runpod.requests(), [], "serve called RunPod before refusing")

    const checked = yield* runCli(["doctor"], env)
    assertFailed(checked)
    assertFound(checked, "error", "pods reach the service", "PUBLIC_URL http://127.0.0.1:8080 is a loopback address", "fix: set PUBLIC_URL")
    // The key works (one read-only list call), and is never printed.
    assertFound(checked, "ok", "pod provider", "RunPod accepts RUNPOD_API_KEY")
    assertFound(checked, "warning", "pod boot", "public hub only", "fix: set WEIGHTS_CACHE_PREFIX")
    assert.deepStrictEqual(runpod.requests().map((request) => `${request.method} ${request.path}`), ["GET /v2/pods"])
    assert.notInclude(checked.stdout + checked.stderr, runpod.apiKey)

    const privateUrl = yield* runCli(["doctor"], { ...env, PUBLIC_URL: "http://192.168.1.20:8080" })
    assertFailed(privateUrl)
    assertFound(privateUrl, "error", "pods reach the service", "private-network address")
  }))
