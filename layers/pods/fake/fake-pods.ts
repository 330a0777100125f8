/**
 * Rehearsal mode: the fake provider and fake pod worker as one layer (`POD_PROVIDER=fake`, and every lifecycle
 * test), with `FakePods` (`services/fake-pods.ts`): the ledger and the pods, to audit what happened.
 */
import { Context, Effect, Layer } from "effect"
import { FakePods } from "../../../services/fake-pods.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { PodProvider } from "../../../services/pod-provider.ts"
import { PodWorkerClient } from "../../../services/pod-worker-client.ts"
import type { FakeFault } from "./fake-faults.ts"
import { makeFakeProvider } from "./fake-provider.ts"
import { fileStore, type FakePodStore, memoryStore, stateOf } from "./fake-store.ts"
import type { FakeWorld } from "./fake-pod-timeline.ts"
import { makeFakeWorker } from "./fake-worker.ts"

export interface FakePodsOptions {
  readonly faults: ReadonlySet<FakeFault>
  /** The time scale of the rehearsal (FISHCLOUD_TIME_SCALE): the fake's own timings shrink with it. */
  readonly scale: number
  /** Keep the fake's state in this file (rehearsals); in memory when absent (tests). */
  readonly stateFile?: string | undefined
  readonly timings?: FakeWorld["timings"]
  readonly faultyPods?: number | undefined
  readonly faultSeed?: number | undefined
}

export const FakePodsLive = (options: FakePodsOptions) =>
  Layer.effectContext(Effect.gen(function*() {
    const store: FakePodStore = options.stateFile === undefined ? yield* memoryStore : yield* fileStore(options.stateFile)
    const world: FakeWorld = {
      faults: options.faults,
      scale: options.scale,
      timings: options.timings,
      faultyPods: options.faultyPods,
      faultSeed: options.faultSeed
    }
    const objects = yield* ObjectStore
    yield* Effect.logWarning(
      `rehearsal mode: pods are fakes${options.faults.size > 0 ? ` with faults ${[...options.faults].join(", ")}` : ""}` +
        (options.faultSeed === undefined ? "" : `; each job draws a fault of its own (seed ${options.faultSeed})`)
    ).pipe(Effect.when(Effect.succeed(options.stateFile !== undefined)))
    const fakePods = FakePods.of({
      ledger: Effect.map(store.read, (view) => stateOf(view).ledger),
      pods: Effect.map(store.read, (view) => stateOf(view).pods)
    })
    return Context.make(PodProvider, makeFakeProvider(store, world)).pipe(
      Context.add(PodWorkerClient, makeFakeWorker(store, world, objects)),
      Context.add(FakePods, fakePods)
    )
  }))
