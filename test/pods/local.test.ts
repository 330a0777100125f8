/**
 * The local provider with real pod-worker processes: create with the request's environment (its worker secret
 * included), find, reuse after a "restart", terminate once; a worker that stops itself reads as a stopped pod.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { isAlive } from "../../layers/db/embedded-postgres.ts"
import { defaultWorkerEntry, makeLocalProvider } from "../../layers/pods/local/local-provider.ts"
import { eventuallyEffect } from "../support/eventually.ts"

const LocalPodsFile = (home: string) => Effect.promise(() => Fs.readFile(NodePath.join(home, "local-pods.json"), "utf8").then((text) => JSON.parse(text) as { pods: Array<{ id: string; pid: number }> }))

const scopedHome = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-local-pods-"))),
  (home) => Effect.promise(() => Fs.rm(home, { recursive: true, force: true }))
)

const secret = Redacted.make("local-pod-test-secret-5d1e8b")
const env = { LLM_BASE_URL: "http://localhost:8000/v1", POD_WORKER_SECRET: secret }

const statusCode = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(() => fetch(`${url}/status`, { headers }).then((response) => response.status))

const healthy = (url: string) =>
  Effect.tryPromise(() => fetch(`${url}/health`).then((response) => response.status)).pipe(
    Effect.filterOrFail((status) => status === 200, () => new Error("not healthy yet")),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 150 }),
    Effect.orDie
  )

layer(Layer.empty, { excludeTestServices: true })("local pods", (it) => {
  it.effect("a pod is a worker process on loopback; a restarted provider finds it; terminate ends it once", () =>
    Effect.gen(function*() {
      const home = yield* scopedHome
      const options = { home, workerEntry: defaultWorkerEntry, llmBaseUrl: Option.none<string>() }
      const provider = yield* makeLocalProvider(options)
      const pod = yield* provider.create({ name: "fishcloud-sim-j7-a1", gpuType: "NVIDIA L40S", cloudType: "ALL", env })
      assert.strictEqual(pod.state, "running")
      assert.strictEqual(pod.cost_per_hour, 0)
      assert.match(pod.worker_url ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
      yield* healthy(pod.worker_url!)
      // The worker got the request's secret: it asks for it.
      assert.strictEqual(yield* statusCode(pod.worker_url!), 401)
      assert.strictEqual(yield* statusCode(pod.worker_url!, { authorization: `Bearer ${Redacted.value(secret)}` }), 200)
      const record = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "local-pods.json"), "utf8"))
      assert.notInclude(record, Redacted.value(secret), "the provider's record keeps no secret")

      // A new provider on the same home (a restarted runner) sees the same pod.
      const restarted = yield* makeLocalProvider(options)
      const found = yield* restarted.listByPrefix("fishcloud-sim-j7-")
      assert.deepStrictEqual(found.map((candidate) => candidate.id), [pod.id])

      const pid = (yield* LocalPodsFile(home)).pods[0]!.pid
      yield* restarted.terminate(pod.id)
      assert.isFalse(isAlive(pid), "the worker process is gone")
      yield* restarted.terminate(pod.id)
      const after = yield* restarted.get(pod.id)
      assert.strictEqual(Option.getOrThrow(after).state, "terminated")
      assert.lengthOf(yield* restarted.listByPrefix("fishcloud-sim-j7-"), 0)
    }).pipe(Effect.timeout(Duration.seconds(60))), 90_000)

  it.effect("a worker nobody talks to stops itself; the provider then reports the pod stopped, and terminate is a no-op", () =>
    Effect.gen(function*() {
      const home = yield* scopedHome
      const provider = yield* makeLocalProvider({
        home,
        workerEntry: defaultWorkerEntry,
        llmBaseUrl: Option.none<string>(),
        workerEnv: { POD_IDLE_TIMEOUT_BEFORE_JOB: "1 second" }
      })
      const pod = yield* provider.create({ name: "fishcloud-sim-j8-a1", gpuType: "NVIDIA L40S", cloudType: "ALL", env })
      assert.strictEqual(pod.state, "running")
      yield* eventuallyEffect(
        "the idle worker to stop",
        Effect.map(provider.get(pod.id), (found) => Option.getOrThrow(found).state === "stopped"),
        30_000
      )
      const log = yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "pods", pod.id, "worker.log"), "utf8"))
      assert.include(log, "pod worker stopping: no request from the service in the 1s since the worker started")
      yield* provider.terminate(pod.id)
      assert.lengthOf(yield* provider.listByPrefix("fishcloud-sim-j8-"), 0)
    }).pipe(Effect.timeout(Duration.seconds(60))), 90_000)
})
