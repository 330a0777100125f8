/**
 * What `/api/ready` waits for beyond a reachable, migrated database: the parts of start-up that finish after the
 * HTTP server is listening (first-start bootstrap writes the local token; a process that runs workflows must hold
 * shards of the cluster before it runs any). The parts are named when the service is composed, before anything
 * listens, so no request can find the service ready before a part was even registered.
 */
import { Context, Effect, Layer, Ref } from "effect"

export type ReadinessPart = "first-start bootstrap" | "runner registration"

export class Readiness extends Context.Service<Readiness, {
  /** Marks a part done. */
  readonly done: (part: ReadinessPart) => Effect.Effect<void>
  /** The parts not done yet. */
  readonly pending: Effect.Effect<ReadonlyArray<ReadinessPart>>
}>()("fishcloud/Readiness") {}

export const ReadinessLive = (parts: ReadonlyArray<ReadinessPart>) =>
  Layer.effect(Readiness, Effect.gen(function*() {
    const pending = yield* Ref.make<ReadonlyArray<ReadinessPart>>(parts)
    return Readiness.of({
      done: (part) => Ref.update(pending, (left) => left.filter((name) => name !== part)),
      pending: Ref.get(pending)
    })
  }))
