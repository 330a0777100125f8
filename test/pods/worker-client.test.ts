/**
 * The HTTP `PodWorkerClient` against a real worker (in-process, over loopback): it sends the pod's secret as a bearer
 * token on every call, a call without it is refused the way the lifecycle expects, and the secret shows up in no log,
 * span or error.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { HttpPodWorkerClientLive } from "../../layers/pods/http-pod-worker-client.ts"
import { PodWorkerClient, type PodWorkerError, type WorkerEndpoint } from "../../services/pod-worker-client.ts"
import { eventuallyEffect } from "../support/eventually.ts"
import { jobRequest, startWorker, testWorkerSecret } from "../support/pod-worker.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"

describe("pod worker client over HTTP", () => {
  it.live("every call carries the pod's secret; without it the worker's 401s reach the lifecycle as refusals; the secret is never told", () => {
    const telemetry = telemetryRecorder()
    return Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 0 })
      const client = yield* PodWorkerClient
      const endpoint: WorkerEndpoint = { url: worker.url, secret: testWorkerSecret }

      // With the secret: the whole protocol.
      const health = yield* client.health(endpoint)
      assert.isTrue(health.ready)
      assert.deepStrictEqual(yield* client.submit(endpoint, jobRequest({ max_rounds: 2 })), { _tag: "Accepted" })
      yield* eventuallyEffect("the job to finish", Effect.map(client.status(endpoint), (reply) => reply.status === "completed"))
      assert.isAbove((yield* client.logs(endpoint, { tail: 5, source: "pipeline" })).lines.length, 0)
      assert.isAbove((yield* client.partialChat(endpoint, 3)).length, 0)

      // Without it, or with another pod's: /health still answers, the rest is refused.
      const errors: Array<unknown> = []
      for (const secret of [undefined, Redacted.make("another-pods-secret-0000")]) {
        const stranger: WorkerEndpoint = { url: worker.url, secret }
        assert.isTrue((yield* telemetry.record(client.health(stranger))).ready)
        const submitted = yield* telemetry.record(client.submit(stranger, jobRequest()))
        assert.strictEqual(submitted._tag, "Rejected")
        assert.match(submitted._tag === "Rejected" ? submitted.reason : "", /^401: Unauthorized/)
        const calls: ReadonlyArray<Effect.Effect<unknown, PodWorkerError>> = [
          client.status(stranger),
          client.logs(stranger, { tail: 5, source: "all" }),
          client.partialChat(stranger, 3)
        ]
        for (const call of calls) {
          const error = yield* telemetry.record(Effect.flip(call))
          assert.strictEqual(error.reason, "status")
          assert.strictEqual(error.status, 401)
          errors.push(error)
        }
      }
      assert.strictEqual((yield* client.status(endpoint)).status, "completed", "the refused submits changed nothing")

      // The recorded telemetry includes the calls that carried the secret.
      yield* telemetry.record(Effect.all([client.health(endpoint), client.status(endpoint), client.logs(endpoint, { tail: 1, source: "all" })]))
      assert.include(telemetry.spanNames(), "PodWorker.status")
      assert.include(telemetry.spanNames(), "GET", "the HTTP client's own spans were recorded too")
      const secret = Redacted.value(testWorkerSecret)
      for (const text of [...errors.map((error) => `${String(error)} ${JSON.stringify(error)}`), ...telemetry.lines, ...telemetry.spanText()]) {
        assert.notInclude(text, secret)
      }
    }).pipe(Effect.provide(HttpPodWorkerClientLive))
  }, 30_000)
})
