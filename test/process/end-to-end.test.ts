/**
 * The whole thing as a newcomer runs it: `fishcloud serve` with its defaults (embedded Postgres, disk store, local
 * pod-worker processes, offline LLM steps), one small job through the HTTP API, to COMPLETED, with every artifact
 * downloadable, a report, timings and cost recorded, and no pod-worker process left behind.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule, Schema } from "effect"
import { isAlive } from "../../layers/db/embedded-postgres.ts"
import { artifactSchemas, simDataFiles } from "../../src/domain/artifacts.ts"
import { readerMarkdown } from "../../src/domain/report.ts"
import { closedPort, firstStartToken, scopedHome, startCli } from "../support/cli-process.ts"
import { eventuallyEffect } from "../support/eventually.ts"

const LocalPods = Schema.Struct({ pods: Schema.Array(Schema.Struct({ id: Schema.String, pid: Schema.Int })) })

layer(Layer.empty, { excludeTestServices: true })("end to end", (it) => {
  it.effect("serve with the embedded defaults runs a small job to COMPLETED with real processes and files", () =>
    Effect.gen(function*() {
      const home = yield* scopedHome
      yield* Effect.promise(() => Fs.chmod(home, 0o755))
      const port = String(yield* closedPort)
      // No DATABASE_URL: the embedded server. Pod workers pace rounds fast so the test is quick.
      const service = yield* startCli(["serve"], { FISHCLOUD_HOME: home, PORT: port, POD_WORKER_ROUND_DELAY_MS: "20" })
      yield* service.waitForStdout(/Listening on http/)
      // Ready (database migrated, bootstrap done, the runner holding its shards) soon after it listens.
      yield* eventuallyEffect("GET /api/ready answers 200", Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/api/ready`).then((response) => response.status === 200)), 60_000)
      const token = yield* firstStartToken(home)
      const call = (path: string, init: RequestInit = {}) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${port}${path}`, {
            ...init,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }
          })
          return { status: response.status, json: await response.json() as Record<string, any> }
        })

      const created = yield* call("/api/jobs", {
        method: "POST",
        body: JSON.stringify({ seed_text: "Mayor Alvarez and the Harbour Council debate the tram line. Riders United supports it; the Chamber of Commerce opposes it.", goal: "Will the tram line be approved?", tier: "small", forecast_days: 30 })
      })
      assert.strictEqual(created.status, 201)
      const id = created.json["id"]
      const job = yield* call(`/api/jobs/${id}`).pipe(
        Effect.map((reply) => reply.json),
        Effect.repeat({ schedule: Schedule.spaced("500 millis"), until: (job) => ["COMPLETED", "FAILED", "CANCELLED"].includes(job["status"]) }),
        Effect.timeout(Duration.seconds(150)),
        Effect.catchTag("TimeoutError", () => Effect.flatMap(service.stdout, (out) => Effect.die(`job did not finish:\n${out.slice(-3000)}`)))
      )
      assert.strictEqual(job["status"], "COMPLETED", job["error_message"])
      assert.isNumber(job["provision_seconds"])
      assert.isNumber(job["pipeline_seconds"])
      assert.strictEqual(job["gpu_cost_usd"], 0, "a local pod costs nothing")

      const simData = yield* call(`/api/jobs/${id}/sim-data`)
      assert.strictEqual(simData.status, 200)
      assert.deepStrictEqual(Object.keys(simData.json["files"]).sort(), [...simDataFiles].sort())
      for (const file of simDataFiles) {
        const url = simData.json["files"][file] as string
        const body = yield* Effect.promise(() => fetch(url).then((response) => response.text()))
        yield* Schema.decodeUnknownEffect(Schema.fromJsonString(artifactSchemas[file] as Schema.Top & { DecodingServices: never }))(body).pipe(
          Effect.orDie
        )
      }
      const report = yield* call(`/api/jobs/${id}/report`)
      assert.strictEqual(report.status, 200)
      assert.include(report.json["report"], "## Verdict")
      const stored = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "objects", "sim-data", String(id), "report.md"), "utf8"))
      // The store keeps the report's source; readers get it without the `### slot=` markup.
      assert.strictEqual(readerMarkdown(stored), report.json["report"], "the report is also in the object store")
      assert.notInclude(report.json["report"], "slot=")

      const pods = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "local-pods.json"), "utf8"))
      const recorded = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(LocalPods))(pods).pipe(Effect.orDie)
      assert.lengthOf(recorded.pods, 1)
      assert.isFalse(isAlive(recorded.pods[0]!.pid), "no pod-worker process left")

      yield* service.kill("SIGTERM")
      yield* service.result
    }), 200_000)
})

/** Kills the service mid-simulation, starts it again, and expects the job to complete on the same local pod. */
const restartMidJob = (signal: "SIGKILL" | "SIGTERM") =>
  Effect.gen(function*() {
    const home = yield* scopedHome
    yield* Effect.promise(() => Fs.chmod(home, 0o755))
    const port = String(yield* closedPort)
    // Rounds of 1 s: the restart happens while the pod still simulates.
    const env = { FISHCLOUD_HOME: home, PORT: port, POD_WORKER_ROUND_DELAY_MS: "1000" }
    const first = yield* startCli(["serve"], env)
    yield* first.waitForStdout(/Listening on http/)
    const token = yield* firstStartToken(home)
    const call = (path: string, init: RequestInit = {}) =>
      Effect.tryPromise(async () => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }
        })
        return await response.json() as Record<string, any>
      }).pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 100 }), Effect.orDie)
    const created = yield* call("/api/jobs", {
      method: "POST",
      body: JSON.stringify({ seed_text: "Port Authority and Dockworkers Union negotiate.", goal: "Will the strike end?", tier: "small", forecast_days: 10 })
    })
    const id = created["id"]
    yield* call(`/api/jobs/${id}`).pipe(
      Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (job) => job["status"] === "RUNNING" && (job["live_status"]?.["round"] ?? 0) >= 2 }),
      Effect.timeout(Duration.seconds(90)),
      Effect.orDie
    )
    yield* first.kill(signal)
    yield* first.result
    const during = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "local-pods.json"), "utf8"))
    const pod = (yield* Schema.decodeUnknownEffect(Schema.fromJsonString(LocalPods))(during).pipe(Effect.orDie)).pods[0]!
    assert.isTrue(isAlive(pod.pid), "the pod-worker process outlives the service")

    const second = yield* startCli(["serve"], env)
    const job = yield* call(`/api/jobs/${id}`).pipe(
      Effect.repeat({ schedule: Schedule.spaced("300 millis"), until: (job) => ["COMPLETED", "FAILED", "CANCELLED"].includes(job["status"]) }),
      Effect.timeout(Duration.seconds(120)),
      Effect.orDie
    )
    assert.strictEqual(job["status"], "COMPLETED", job["error_message"])
    const after = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "local-pods.json"), "utf8"))
    const pods = (yield* Schema.decodeUnknownEffect(Schema.fromJsonString(LocalPods))(after).pipe(Effect.orDie)).pods
    assert.deepStrictEqual(pods.map((p) => p.id), [pod.id], "no second pod")
    assert.isFalse(isAlive(pod.pid), "the pod was terminated at the end")
    yield* second.kill("SIGTERM")
    yield* second.result
  })

layer(Layer.empty, { excludeTestServices: true })("end to end, restarted", (it) => {
  it.effect("kill -9 while the local pod simulates: the restart completes the job on the same pod", () => restartMidJob("SIGKILL"), 200_000)
  it.effect("SIGTERM while the local pod simulates: the restart completes the job on the same pod", () => restartMidJob("SIGTERM"), 200_000)
})
