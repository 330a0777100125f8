/** The local provider with real pod-worker processes: create, find, reuse after a "restart", terminate once. */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Schedule } from "effect"
import { isAlive } from "../../layers/db/embedded-postgres.ts"
import { defaultWorkerEntry, makeLocalProvider } from "../../layers/pods/local/local-provider.ts"

const LocalPodsFile = (home: string) => Effect.promise(() => Fs.readFile(NodePath.join(home, "local-pods.json"), "utf8").then((text) => JSON.parse(text) as { pods: Array<{ id: string; pid: number }> }))

const scopedHome = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-local-pods-"))),
  (home) => Effect.promise(() => Fs.rm(home, { recursive: true, force: true }))
)

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
      const pod = yield* provider.create({ name: "fishcloud-sim-j7-a1", gpuType: "NVIDIA L40S", cloudType: "ALL", env: { LLM_BASE_URL: "http://localhost:8000/v1" } })
      assert.strictEqual(pod.state, "running")
      assert.strictEqual(pod.cost_per_hour, 0)
      assert.match(pod.worker_url ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
      yield* healthy(pod.worker_url!)

      // A new provider on the same home (a restarted runner) sees the same pod.
      const restarted = yield* makeLocalProvider(options)
      const found = yield* restarted.listByPrefix("fishcloud-sim-j7-")
      assert.deepStrictEqual(found.map((candidate) => candidate.id), [pod.id])

      const pid = (yield* LocalPodsFile(home)).pods[0]!.pid
      yield* restarted.terminate(pod.id)
      assert.isFalse(isAlive(pid), "the worker process is gone")
      yield* restarted.terminate(pod.id)
      const after = yield* restarted.get(pod.id)
      assert.strictEqual(Option.getOrThrow(after).state, "stopped")
      assert.lengthOf(yield* restarted.listByPrefix("fishcloud-sim-j7-"), 0)
    }).pipe(Effect.timeout(Duration.seconds(60))), 90_000)
})
