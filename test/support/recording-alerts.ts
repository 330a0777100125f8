/** An `Alerts` that keeps what was sent, for tests that check who was told what. */
import { Context, Effect, Layer, Ref } from "effect"
import { Alerts } from "../../services/alerts.ts"
import type { Alert } from "../../src/domain/alert.ts"

class SentAlerts extends Context.Service<SentAlerts, Ref.Ref<ReadonlyArray<Alert>>>()("test/SentAlerts") {}

/** `Alerts` recording into `SentAlerts`. */
export const RecordingAlertsLive = Layer.effectContext(Effect.gen(function*() {
  const sent = yield* Ref.make<ReadonlyArray<Alert>>([])
  return Context.make(SentAlerts, sent).pipe(
    Context.add(Alerts, Alerts.of({ send: (alert) => Ref.update(sent, (all) => [...all, alert]) }))
  )
}))

/** The alerts sent so far, oldest first. */
export const sentAlerts = SentAlerts.use(Ref.get)
