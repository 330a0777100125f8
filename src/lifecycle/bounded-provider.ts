/**
 * The pod provider with at most `policies.providerCalls` creates and terminates in flight per process: a burst of
 * thousands of new jobs queues here, in order, instead of flooding the provider's API and its rate limit. How many
 * wait is the `fishcloud.pods.provider_calls_waiting` metric. Reads (a job's readiness check, the reaper's list) are
 * not queued: each job makes at most one per poll interval, and one waiting behind a burst of creates could outlast
 * the readiness timeout (in a 5,000-job run on a saturated runner with reads bounded too, 360 pods timed out at
 * readiness and were replaced; none with reads unbounded).
 */
import { Effect, Layer, Semaphore } from "effect"
import { PodProvider } from "../../services/pod-provider.ts"
import { countProviderCallsWaiting } from "../metrics.ts"
import { policies } from "./policies.ts"

/** Provides `PodProvider` over the one it is given, bounded. */
export const BoundedPodProvider = Layer.effect(PodProvider, Effect.gen(function*() {
  const provider = yield* PodProvider
  const slots = yield* Semaphore.make(policies.providerCalls)
  const bounded = <A, E>(call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        yield* countProviderCallsWaiting(1)
        yield* restore(slots.take(1)).pipe(Effect.ensuring(countProviderCallsWaiting(-1)))
        return yield* restore(call).pipe(Effect.ensuring(slots.release(1)))
      })
    )
  return PodProvider.of({
    name: provider.name,
    create: (request) => bounded(provider.create(request)),
    get: provider.get,
    listByPrefix: provider.listByPrefix,
    terminate: (podId) => bounded(provider.terminate(podId))
  })
}))
