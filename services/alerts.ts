/**
 * Where alerts go (`src/domain/alert.ts`): a webhook when ALERT_WEBHOOK_URL is set, else WARN log lines. Sending never
 * fails the caller: an alert that cannot be delivered after its retries is logged at ERROR instead.
 */
import { Context, type Effect } from "effect"
import type { Alert } from "../src/domain/alert.ts"

export class Alerts extends Context.Service<Alerts, {
  readonly send: (alert: Alert) => Effect.Effect<void>
}>()("fishcloud/services/Alerts") {}
