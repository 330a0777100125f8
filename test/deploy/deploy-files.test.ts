/**
 * The deployment files agree with the code (no Docker here: the files are parsed, `test/support/deploy-files.ts`).
 * `.env.example` lists every variable the service and the pod worker read, and nothing else, with the defaults the
 * code has; docs/operations.md's settings reference is made from it; `deploy/compose.yml` (read with a small reader
 * of the YAML subset it keeps to) sets only variables the code reads, everything an S3 + Postgres deployment needs,
 * and runs one `api` and two `runner`s; the service `Dockerfile` is a Node 24, production-only, non-root image
 * whose runtime loads no devDependency; `pod/Dockerfile` and `pod/start.sh` agree with what the service passes a pod.
 */
import { assert, describe, it } from "@effect/vitest"
import { Config, Effect, Layer, Redacted } from "effect"
import { AlertsConfig } from "../../layers/alerts/alerts-config.ts"
import { AnthropicConfig } from "../../layers/llm/anthropic/anthropic-config.ts"
import { XaiConfig } from "../../layers/llm/xai/xai-config.ts"
import { RunPodConfig } from "../../layers/pods/runpod/runpod-config.ts"
import { S3Config } from "../../layers/storage/s3/s3-config.ts"
import { LogLevelSetting, TelemetryConfig } from "../../layers/telemetry/telemetry-config.ts"
import { CliConfig, ServiceConfig } from "../../src/config.ts"
import { PodWorkerSettings, PodWorkerSettingsWith } from "../../src/pod-worker/pod-worker-config.ts"
import { configFromEnv } from "../support/config-env.ts"
import {
  asMapping,
  importGraph,
  readDockerfile,
  readEnvExample,
  readRepoFile,
  readVariables,
  readYamlSubset,
  settingsMarkers,
  settingsTable,
  type Yaml
} from "../support/deploy-files.ts"

const variables = readVariables()
const entries = readEnvExample(readRepoFile(".env.example"))
const podSection = (section: string) => section.startsWith("Pod worker")
const serviceEntries = entries.filter((entry) => !podSection(entry.section))
const podEntries = entries.filter((entry) => podSection(entry.section))
const sorted = (names: Iterable<string>) => [...new Set(names)].sort()

/** `.env.example`'s defaults (each entry that has a value) as an environment. */
const documentedDefaults = (list: ReadonlyArray<{ readonly name: string; readonly value: string }>) =>
  Object.fromEntries(list.filter((entry) => entry.value !== "").map((entry) => [entry.name, entry.value]))

describe(".env.example and the code", () => {
  it("every name in a config module is found by the extraction (no helper it does not know)", () => {
    assert.deepStrictEqual(variables.unexplained, [])
    assert.isAbove(variables.service.size, 40)
    assert.isAbove(variables.podWorker.size, 10)
  })

  it("lists every variable the service reads, once, and nothing else", () => {
    assert.deepStrictEqual(sorted(serviceEntries.map((entry) => entry.name)), sorted(variables.service.keys()))
    const names = entries.map((entry) => entry.name)
    assert.deepStrictEqual(names.filter((name, index) => names.indexOf(name) !== index), [], "each variable once")
  })

  it("lists every variable the pod worker reads in its own section, marked as set by the provider", () => {
    assert.deepStrictEqual(sorted(podEntries.map((entry) => entry.name)), sorted(variables.podWorker.keys()))
    assert.isTrue(podEntries.every((entry) => entry.commented), "the operator does not set the pod worker's variables")
    assert.isTrue(entries.some((entry) => podSection(entry.section)) && /set by the pod provider/.test(readRepoFile(".env.example")))
  })

  it("each entry has one line of meaning; a service entry is commented exactly when it is unset by default", () => {
    for (const entry of entries) assert.notStrictEqual(entry.meaning, "", `${entry.name} (line ${entry.line}) has a meaning`)
    for (const entry of serviceEntries) {
      assert.strictEqual(entry.commented, entry.value === "", `${entry.name} (line ${entry.line}): a value is a default, a comment means unset`)
    }
  })

  const same = <A>(name: string, config: Config.Config<A>, required: Record<string, string> = {}) =>
    it.effect(`the documented defaults are the code's: ${name}`, () =>
      Effect.gen(function*() {
        const load = (env: Record<string, string>) =>
          Effect.gen(function*() {
            return yield* config
          }).pipe(Effect.provide(configFromEnv({ ...env, ...required })))
        const bare = yield* load({})
        const documented = yield* load(documentedDefaults(entries))
        assert.deepStrictEqual(JSON.stringify(documented), JSON.stringify(bare))
      }))
  same("service", ServiceConfig)
  same("CLI", CliConfig)
  same("S3", S3Config, { S3_BUCKET: "fishcloud", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: "secret" })
  same("RunPod", RunPodConfig)
  same("xAI", XaiConfig, { XAI_API_KEY: "key" })
  same("Anthropic", AnthropicConfig, { ANTHROPIC_API_KEY: "key" })
  same("telemetry", Config.all([TelemetryConfig, LogLevelSetting]))
  same("alerts", AlertsConfig)

  it.effect("the documented defaults are the code's: the pod worker", () =>
    Effect.gen(function*() {
      const load = (env: Record<string, string>) =>
        Effect.gen(function*() {
          return yield* PodWorkerSettings
        }).pipe(Effect.provide(PodWorkerSettingsWith({ secret: Redacted.make("x".repeat(16)) }).pipe(Layer.provide(configFromEnv(env)))))
      assert.deepStrictEqual(JSON.stringify(yield* load(documentedDefaults(podEntries))), JSON.stringify(yield* load({})))
    }))

  it("docs/operations.md's settings reference is the table made from .env.example", () => {
    const doc = readRepoFile("docs/operations.md")
    const start = doc.indexOf(settingsMarkers.start)
    const end = doc.indexOf(settingsMarkers.end)
    assert.isTrue(start >= 0 && end > start, "docs/operations.md has the settings markers")
    const expected = settingsTable(entries)
    assert.strictEqual(doc.slice(start + settingsMarkers.start.length, end).trim(), expected, `regenerate it:\n${expected}`)
  })
})

describe("deploy/compose.yml", () => {
  const compose = asMapping(readYamlSubset(readRepoFile("deploy/compose.yml")), "compose.yml")
  const services = asMapping(compose["services"], "services")
  const fishcloud = Object.entries(services).filter(([, service]) => asMapping(service, "a service")["build"] !== undefined)
  const environment = (name: string) => asMapping(asMapping(services[name], name)["environment"], `${name}.environment`) as Record<string, string>
  const command = (service: Yaml | undefined) => asMapping(service, "service")["command"]
  const composeEnv = readEnvExample(readRepoFile("deploy/.env.example"))

  it("runs Postgres, MinIO with its bucket setup, Jaeger, one api and two runners, the last three from the Dockerfile", () => {
    assert.includeMembers(Object.keys(services), ["postgres", "minio", "minio-setup", "jaeger", "api", "runner-1", "runner-2"])
    assert.deepStrictEqual(fishcloud.map(([name]) => name).sort(), ["api", "runner-1", "runner-2"])
    for (const [name, service] of fishcloud) {
      assert.deepStrictEqual(asMapping(service, name)["build"], { context: "..", dockerfile: "Dockerfile" }, name)
    }
    const roles = fishcloud.map(([name, service]) => [name, command(service)])
    assert.deepStrictEqual(roles, [
      ["api", ["serve", "--role", "api"]],
      ["runner-1", ["serve", "--role", "runner"]],
      ["runner-2", ["serve", "--role", "runner"]]
    ])
  })

  it("sets only variables the service reads", () => {
    for (const [name] of fishcloud) {
      const unknown = Object.keys(environment(name)).filter((variable) => !variables.service.has(variable))
      assert.deepStrictEqual(unknown, [], `${name} sets variables the service does not read`)
    }
  })

  it("sets what an S3 + Postgres deployment requires, and each runner's own address", () => {
    for (const [name] of fishcloud) {
      const env = environment(name)
      assert.match(env["DATABASE_URL"] ?? "", /^postgres:\/\/fishcloud:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/fishcloud$/, name)
      assert.strictEqual(env["OBJECT_STORE"], "s3", name)
      for (const required of ["S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "PUBLIC_URL"]) {
        assert.isTrue((env[required] ?? "").trim() !== "", `${name} sets ${required}`)
      }
      assert.strictEqual(env["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://jaeger:4318", name)
    }
    assert.deepStrictEqual(["runner-1", "runner-2"].map((name) => environment(name)["RUNNER_HOST"]), ["runner-1", "runner-2"])
    assert.isUndefined(environment("api")["RUNNER_HOST"], "the api role runs no runner")
  })

  it.effect("the S3 variables it sets are the ones the S3 store refuses to start without", () =>
    Effect.gen(function*() {
      const env = { S3_BUCKET: "fishcloud", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: "secret" }
      const load = (vars: Record<string, string>) =>
        Effect.gen(function*() {
          return yield* S3Config
        }).pipe(Effect.provide(configFromEnv(vars)))
      yield* load(env)
      for (const name of Object.keys(env)) {
        const { [name]: _, ...without } = env as Record<string, string>
        assert.include(String(yield* Effect.flip(load(without))), name)
        assert.isTrue(Object.keys(environment("api")).includes(name))
      }
    }))

  it("starts in order: Postgres healthy and the bucket made before the api, the api ready before the runners", () => {
    const dependsOn = (name: string) => asMapping(asMapping(services[name], name)["depends_on"], `${name}.depends_on`)
    assert.deepStrictEqual(dependsOn("api")["postgres"], { condition: "service_healthy" })
    assert.deepStrictEqual(dependsOn("api")["minio-setup"], { condition: "service_completed_successfully" })
    assert.deepStrictEqual(dependsOn("minio-setup")["minio"], { condition: "service_healthy" })
    for (const runner of ["runner-1", "runner-2"]) {
      assert.deepStrictEqual(dependsOn(runner)["api"], { condition: "service_healthy" })
      // A runner serves no API; the image's health check asks its probes on RUNNER_HEALTH_PORT.
      assert.isUndefined(asMapping(services[runner], runner)["healthcheck"], "the image's health check applies")
      assert.isDefined(environment(runner)["RUNNER_HEALTH_PORT"], "the runner's probes listen")
    }
    assert.isDefined(asMapping(services["postgres"], "postgres")["healthcheck"])
    assert.include(asMapping(services["postgres"], "postgres")["volumes"], "postgres-data:/var/lib/postgresql/data")
    assert.isDefined(asMapping(services["minio"], "minio")["healthcheck"])
    assert.include(String(asMapping(services["minio-setup"], "minio-setup")["entrypoint"]), "mc mb --ignore-existing store/$$BUCKET")
  })

  it("every ${VARIABLE} it uses has a default or is in deploy/.env.example, and the required ones are set there", () => {
    const text = readRepoFile("deploy/compose.yml")
    const documented = new Set(composeEnv.map((entry) => entry.name))
    for (const match of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(:?[-?][^}]*)?\}/g)) {
      const [, name, modifier] = match
      if (modifier?.startsWith(":-") === true) continue
      assert.isTrue(documented.has(name!), `\${${name}} is in deploy/.env.example`)
    }
    for (const match of text.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)) {
      const entry = composeEnv.find((candidate) => candidate.name === match[1])
      assert.isTrue(entry !== undefined && !entry.commented, `${match[1]} is required: deploy/.env.example has a line for it`)
    }
  })
})

describe("the service image (Dockerfile)", () => {
  const instructions = readDockerfile(readRepoFile("Dockerfile"))
  const last = Math.max(...instructions.map((instruction) => instruction.stage))
  const runtime = instructions.filter((instruction) => instruction.stage === last)
  const args = (keyword: string) => runtime.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args)
  const runtimeGraph = importGraph(["src/main.ts", "src/pod-worker/main.ts", "bin/fishcloud.mjs"])
  const packageJson = JSON.parse(readRepoFile("package.json")) as {
    dependencies: Record<string, string>
    devDependencies: Record<string, string>
  }

  it("is built on Node 24 in every stage", () => {
    const from = instructions.filter((instruction) => instruction.keyword === "FROM").map((instruction) => instruction.args)
    assert.isAtLeast(from.length, 2, "multi-stage")
    for (const base of from) assert.match(base, /^node:24-bookworm-slim( AS \w+)?$/)
  })

  it("installs production dependencies only, without install scripts, and keeps the dashboard the build made", () => {
    assert.isTrue(args("RUN").some((run) => run.includes("npm ci --omit=dev --ignore-scripts")))
    assert.include(args("COPY"), "--from=build /app/dashboard/dist ./dashboard/dist")
    assert.isTrue(instructions.some((instruction) => instruction.stage === 0 && instruction.keyword === "RUN" && instruction.args.startsWith("npm ci")))
  })

  it("runs as a user without privileges, listens on every interface on 8080, and is healthy when /api/ready says so", () => {
    const users = args("USER")
    assert.lengthOf(users, 1)
    assert.notInclude(["root", "0", "0:0"], users[0])
    assert.isTrue(runtime.findIndex((i) => i.keyword === "USER") < runtime.findIndex((i) => i.keyword === "ENTRYPOINT"))
    assert.isTrue(args("ENV").some((env) => /\bHOST=0\.0\.0\.0\b/.test(env)))
    assert.include(args("EXPOSE"), "8080")
    assert.lengthOf(args("HEALTHCHECK"), 1)
    assert.include(args("HEALTHCHECK")[0], "/api/ready")
    assert.deepStrictEqual(args("ENTRYPOINT"), ["[\"node\", \"src/main.ts\"]"])
    assert.deepStrictEqual(args("CMD"), ["[\"serve\"]"])
  })

  it("caps the V8 heap as `npm start` does (docs/operations.md, \"Capacity and memory\")", () => {
    const start = (JSON.parse(readRepoFile("package.json")) as { scripts: Record<string, string> }).scripts["start"] ?? ""
    const flag = /--max-old-space-size=\d+/.exec(start)?.[0]
    assert.isDefined(flag, "npm start caps the heap")
    assert.isTrue(args("ENV").some((env) => env.includes(`NODE_OPTIONS=${flag}`)), `the image sets NODE_OPTIONS=${flag}`)
  })

  it("the runtime loads no devDependency: every package the service, the CLI and the pod worker import is a dependency", () => {
    const notProduction = [...runtimeGraph.packages].filter(([name]) => packageJson.dependencies[name] === undefined)
      .map(([name, file]) => `${name} (imported by ${file}${packageJson.devDependencies[name] === undefined ? "" : ", a devDependency"})`)
    assert.deepStrictEqual(notProduction, [])
  })

  it("copies every folder the runtime loads, and .dockerignore lets each one in", () => {
    const folders = sorted([...runtimeGraph.files].map((file) => file.includes("/") ? file.split("/")[0]! : file))
    const copied = args("COPY").map((copy) => copy.split(" ")[0]!)
    const ignore = readRepoFile(".dockerignore")
    for (const folder of folders) {
      assert.isTrue(copied.includes(folder) || copied.some((source) => source.split(" ").includes(folder)), `the runtime stage copies ${folder}`)
      assert.isTrue(ignore.includes(`!${folder}`), `.dockerignore lets ${folder} in`)
    }
    assert.include(ignore, "**/.fishcloud", "never the local data folder (tokens, keys)")
  })
})

describe("the pod image (pod/Dockerfile, pod/start.sh) and what the service passes a pod", () => {
  const startSh = readRepoFile("pod/start.sh")
  const podReadme = readRepoFile("pod/README.md")
  const podDockerfile = readDockerfile(readRepoFile("pod/Dockerfile"))
  const imageEnv = new Set(
    podDockerfile.filter((instruction) => instruction.keyword === "ENV")
      .flatMap((instruction) => [...instruction.args.matchAll(/([A-Z][A-Z0-9_]*)=/g)].map((match) => match[1]!))
  )
  /** The variables the service puts in a pod's environment: the request's (src/lifecycle/pod-request.ts) and the boot's. */
  const passed = new Set([
    ...[...(/env: \{([^}]*)\}/.exec(readRepoFile("src/lifecycle/pod-request.ts"))?.[1] ?? "").matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)]
      .map((match) => match[1]!),
    ...[...readRepoFile("layers/pods/pod-env.ts").matchAll(/env\["([A-Z][A-Z0-9_]*)"\] =/g)].map((match) => match[1]!)
  ])
  /** What pod/README.md's environment table documents. */
  const documented = new Set([...podReadme.matchAll(/^\| `([A-Z][A-Z0-9_]*)`(?:, `([A-Z][A-Z0-9_]*)`)*/gm)].flatMap((match) =>
    [...match[0].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((name) => name[1]!)
  ))
  /** What start.sh reads from its environment: every `$NAME` but those it computes itself from nothing it was given. */
  const startShReads = (() => {
    const referenced = new Set([...startSh.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]!))
    const internal = [...startSh.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)="([^\n]*)"/gm)]
      .filter((match) => !match[2]!.includes(`\${${match[1]}:-`))
      .map((match) => match[1]!)
    return sorted([...referenced].filter((name) => !internal.includes(name)))
  })()

  it("finds what the pod is given and what it reads", () => {
    assert.includeMembers([...passed], ["MODEL_ID", "POD_WORKER_SECRET", "HF_TOKEN", "WEIGHTS_CACHE_URLS"])
    assert.includeMembers(startShReads, ["MODEL_ID", "HF_TOKEN", "WEIGHTS_CACHE_URLS", "VLLM_ARGS"])
    assert.notInclude(startShReads, "CACHE_DIR", "computed by start.sh")
  })

  it("every variable start.sh or the worker reads is passed by the service, set by the image, or documented as optional", () => {
    for (const name of [...startShReads, ...variables.podWorker.keys()]) {
      assert.isTrue(passed.has(name) || imageEnv.has(name) || documented.has(name), `${name}: passed, set by pod/Dockerfile, or in pod/README.md's table`)
    }
  })

  it("every variable the service passes a pod, and every one the image sets, is read on the pod (or by a provider)", () => {
    const providers = ["layers/pods/fake/fake-provider.ts", "layers/pods/local/local-provider.ts"].map(readRepoFile).join("\n")
    const readOnPod = (name: string) =>
      startShReads.includes(name) || variables.podWorker.has(name) || providers.includes(`env["${name}"]`)
    for (const name of passed) assert.isTrue(readOnPod(name), `${name} is passed to pods: start.sh, the worker or a provider reads it`)
    for (const name of imageEnv) assert.isTrue(readOnPod(name), `pod/Dockerfile sets ${name}: start.sh or the worker reads it`)
    for (const name of documented) {
      assert.isTrue(readOnPod(name) || passed.has(name), `pod/README.md documents ${name}: something on the pod reads it`)
    }
  })

  it("the image copies what the worker loads and start.sh, and its build context lets them in", () => {
    const graph = importGraph(["src/pod-worker/main.ts"])
    const folders = sorted([...graph.files].map((file) => file.includes("/") ? file.split("/")[0]! : file))
    const copies = podDockerfile.filter((instruction) => instruction.keyword === "COPY").map((instruction) => instruction.args)
    const ignore = readRepoFile("pod/Dockerfile.dockerignore")
    for (const folder of folders) {
      assert.isTrue(copies.some((copy) => copy.split(" ").slice(0, -1).includes(folder)), `pod/Dockerfile copies ${folder}`)
      assert.isTrue(ignore.includes(`!${folder}`), `pod/Dockerfile.dockerignore lets ${folder} in`)
    }
    assert.include(copies, "pod/start.sh /app/start.sh")
    assert.include(ignore, "!pod/start.sh")
    assert.isTrue(podDockerfile.some((instruction) => instruction.keyword === "ENTRYPOINT" && instruction.args.includes("/app/start.sh")))
    const packageJson = JSON.parse(readRepoFile("package.json")) as { dependencies: Record<string, string> }
    assert.deepStrictEqual([...graph.packages.keys()].filter((name) => packageJson.dependencies[name] === undefined), [], "npm ci --omit=dev has them")
  })
})
