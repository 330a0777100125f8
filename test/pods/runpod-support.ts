/**
 * Helpers for the RunPod provider tests: the provider wired to a fake RunPod through its real Layer and settings,
 * captured logs and spans, and ways to move the test clock while real HTTP round trips happen.
 */
import { Clock, Effect, Fiber, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { RunPodProviderLive } from "../../layers/pods/runpod/index.ts"
import { PodProvider, type PodRequest } from "../../services/pod-provider.ts"
import { type RunPodSettings, Settings } from "../../src/config.ts"
import type { FakeRunPod } from "../support/fake-runpod.ts"

export const testImage = "ghcr.io/fishcloud/fishcloud-pod:test"

export const runpodSettings = (fake: FakeRunPod, overrides?: Partial<RunPodSettings>): RunPodSettings => ({
  apiKey: Option.some(Redacted.make(fake.apiKey)),
  apiUrl: fake.url,
  image: testImage,
  cloudType: Option.none(),
  ...overrides
})

/** The provider as production builds it (RunPodProviderLive reading Settings), pointed at the fake. */
export const runpodProvider = (fake: FakeRunPod, overrides?: Partial<RunPodSettings>) =>
  Effect.gen(function*() {
    return yield* PodProvider
  }).pipe(Effect.provide(RunPodProviderLive.pipe(Layer.provide(Settings.layerWith({ runpod: runpodSettings(fake, overrides) })))))

export const request = (overrides?: Partial<PodRequest>): PodRequest => ({
  name: "fishcloud-sim-j42-a1",
  gpuType: "NVIDIA L40S",
  cloudType: "SECURE",
  env: { MODEL_ID: "Qwen/Qwen3-8B", LLM_BASE_URL: "http://localhost:8000/v1", MAX_ROUNDS: "15" },
  ...overrides
})

/** Wall-clock pause (the test clock does not move): lets real sockets and the server do their part. */
export const realPause = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** Waits in real time (up to `timeoutMs`) until `condition` holds; fails the test with `what` otherwise. */
export const eventually = (what: string, condition: () => boolean, timeoutMs = 3_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for: ${what}`))
      yield* realPause(2)
    }
  })

/**
 * Runs `effect` while moving the test clock on in half-second steps, with a couple of real milliseconds between
 * steps for the HTTP round trips; returns its exit and the virtual time it took. Time may also pass while a
 * request is in flight, so the measured time is an upper bound of the waits.
 */
export const driveClock = <A, E>(effect: Effect.Effect<A, E>, maxVirtualSeconds = 600) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const fiber = yield* Effect.forkChild(effect)
    for (let step = 0; step < maxVirtualSeconds * 2 && fiber.pollUnsafe() === undefined; step++) {
      yield* realPause(2)
      if (fiber.pollUnsafe() === undefined) yield* TestClock.adjust("500 millis")
    }
    const exit = yield* Fiber.await(fiber)
    return { exit, elapsedMs: (yield* Clock.currentTimeMillis) - start }
  })

