/**
 * Helpers for the RunPod provider tests: the provider wired to a fake RunPod through its real Layer and settings,
 * and a way to run it on simulated time while real HTTP round trips happen.
 */
import { Effect, Fiber, Layer } from "effect"
import { RunPodProviderLive } from "../../layers/pods/runpod/runpod-provider-live.ts"
import { PodProvider, type PodRequest } from "../../services/pod-provider.ts"
import { configFromEnv } from "./config-env.ts"
import { MemoryObjectStoreLive, type MemoryObjectStoreOptions } from "./memory-object-store.ts"
import type { FakeRunPod } from "./fake-runpod.ts"
import { SimulatedTimeLive } from "./simulated-time.ts"
import { SimulatedTime } from "./simulated-time.ts"

export const testImage = "ghcr.io/fishcloud/fishcloud-pod:test"

type RunPodVariable = "RUNPOD_API_KEY" | "RUNPOD_API_URL" | "RUNPOD_IMAGE" | "RUNPOD_CLOUD_TYPE" | "HF_TOKEN" | "WEIGHTS_CACHE_PREFIX"

/** The RUNPOD_* environment pointed at the fake, with `overrides` applied (`undefined` unsets a variable). */
const runpodEnv = (fake: FakeRunPod, overrides: Partial<Record<RunPodVariable, string | undefined>> = {}) => {
  const env: Record<string, string | undefined> = {
    RUNPOD_API_KEY: fake.apiKey,
    RUNPOD_API_URL: fake.url,
    RUNPOD_IMAGE: testImage,
    ...overrides
  }
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/**
 * The provider as production builds it (RunPodProviderLive reading the RUNPOD_* settings), pointed at the fake; its
 * object store (the weights cache) is an in-memory one, empty unless `store` says otherwise.
 */
export const runpodProvider = (
  fake: FakeRunPod,
  overrides?: Partial<Record<RunPodVariable, string | undefined>>,
  store: MemoryObjectStoreOptions = {}
) =>
  Effect.gen(function*() {
    return yield* PodProvider
  }).pipe(Effect.provide(RunPodProviderLive.pipe(
    Layer.provide(Layer.merge(configFromEnv(runpodEnv(fake, overrides)), MemoryObjectStoreLive(store)))
  )))

export const request = (overrides?: Partial<PodRequest>): PodRequest => ({
  name: "fishcloud-sim-j42-a1",
  gpuType: "NVIDIA L40S",
  cloudType: "SECURE",
  env: { MODEL_ID: "Qwen/Qwen3-8B", LLM_BASE_URL: "http://localhost:8000/v1", MAX_ROUNDS: "15" },
  ...overrides
})

/**
 * Runs `effect` on simulated time (`simulated-time.ts`): the clock moves only while the provider waits for it, never
 * while an HTTP round trip is in flight. Returns its exit and the simulated time it took, exactly.
 */
export const driveClock = <A, E>(effect: Effect.Effect<A, E>, maxVirtualSeconds = 600) =>
  Effect.gen(function*() {
    const time = yield* SimulatedTime
    const start = yield* time.now
    const fiber = yield* Effect.forkChild(effect)
    yield* time.advanceUntil(Effect.sync(() => fiber.pollUnsafe() !== undefined), `${maxVirtualSeconds} seconds`)
    const exit = yield* Fiber.await(fiber)
    return { exit, elapsedMs: (yield* time.now) - start }
  }).pipe(Effect.provide(SimulatedTimeLive))
