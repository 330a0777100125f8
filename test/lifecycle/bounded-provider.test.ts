import { assert, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { BoundedPodProvider } from "../../src/lifecycle/bounded-provider.ts"
import { policies } from "../../src/lifecycle/policies.ts"
import { PodProvider } from "../../services/pod-provider.ts"

it.effect("at most policies.providerCalls provider calls run at once; the rest wait their turn and all complete", () =>
  Effect.gen(function*() {
    const release = yield* Deferred.make<void>()
    const calls = { inFlight: 0, most: 0, done: 0 }
    // A provider whose creates hang until `release`, counting how many run at once.
    const slow = Layer.mock(PodProvider)({
      name: "slow",
      create: (request) =>
        Effect.gen(function*() {
          calls.inFlight++
          calls.most = Math.max(calls.most, calls.inFlight)
          yield* Deferred.await(release)
          calls.inFlight--
          calls.done++
          return { id: request.name, name: request.name, gpu_type: request.gpuType, cost_per_hour: 1, state: "provisioning" as const, worker_url: null }
        })
    })
    yield* Effect.gen(function*() {
      const provider = yield* PodProvider
      const total = policies.providerCalls + 4
      const creates = yield* Effect.forkChild(Effect.forEach(
        Array.from({ length: total }, (_, n) => n),
        (n) => provider.create({ name: `fishcloud-sim-j${n}-a1`, gpuType: "A100", cloudType: "ALL", env: {} }),
        { concurrency: "unbounded" }
      ))
      for (let i = 0; i < 50 && calls.inFlight < policies.providerCalls; i++) yield* Effect.yieldNow
      assert.strictEqual(calls.inFlight, policies.providerCalls, "as many as the bound run")
      yield* Deferred.succeed(release, undefined)
      const pods = yield* Fiber.join(creates)
      assert.strictEqual(pods.length, total)
      assert.strictEqual(calls.done, total)
      assert.strictEqual(calls.most, policies.providerCalls, "never more than the bound at once")
    }).pipe(Effect.provide(BoundedPodProvider.pipe(Layer.provideMerge(slow))))
  }))
