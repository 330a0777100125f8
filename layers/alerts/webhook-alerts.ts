/**
 * `Alerts` (services/alerts.ts) as ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET say (`alerts-config.ts`).
 *
 * Without a URL, an alert is one WARN log line, `alert: <kind> <summary>`, annotated with the alert's fields, and
 * nothing else.
 *
 * With a URL, it is POSTed as JSON (`content-type: application/json`): the alert encoded with the `Alert` schema
 * (`_tag` names the kind) plus `sent_at` (ISO 8601) and `service: "fishcloud"`. Every attempt sends the same body
 * bytes, so a receiver can recognise a repeat (a retry after an answer that got lost) by the body.
 *
 * Signature, with ALERT_WEBHOOK_SECRET (in the style of Stripe's and GitHub's webhooks), on every attempt:
 *
 *   X-Fishcloud-Timestamp: <unix seconds when the attempt was made>
 *   X-Fishcloud-Signature: sha256=<lowercase hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * A receiver recomputes the HMAC over the raw body bytes as received (before parsing them), compares in constant
 * time, and rejects a timestamp more than a few minutes away from its clock (a replayed request). Each attempt is
 * signed afresh, so that window only has to cover clock skew, not our retries. Without a secret neither header is
 * sent.
 *
 * Retries: a network error, no answer within `attemptTimeout`, a 429 or a 5xx is retried with capped exponential
 * back-off (`deliveryPolicy`: 2 s doubling up to 30 s, 6 attempts in all, about a minute of waiting, two minutes at
 * worst with every attempt timing out). Any other answer (a 4xx: a wrong URL, a receiver refusing the signature) is
 * not retried: repeating it cannot help. The back-off follows real clocks, not FISHCLOUD_TIME_SCALE: the receiver
 * is outside any rehearsal. When no attempt succeeds, the alert is logged at ERROR with its fields and the last
 * reason, and `send` still succeeds. Logs and spans name only the URL's host (a webhook path often carries a
 * token) and never the secret or a signature.
 *
 * Blocking or not: `send` returns at once and the delivery runs in a fiber of the layer's scope. The callers are
 * workflow activities (terminate_failed, internal_error) and maintenance passes; a receiver that is down would hold
 * them for the minute or two of retries, and a job should not wait to release its pod for an alert. The delivery
 * keeps the caller's span as its parent and the caller's log annotations (`job_id`). At shutdown, deliveries still
 * running get `shutdownGrace` to finish; then they are interrupted and their alerts logged at ERROR, so an alert is
 * never dropped silently. `background: false` (tests) makes `send` wait for the delivery instead.
 *
 * Each send is an `Alerts.send` span (`alert.kind`, `alert.outcome`, `alert.attempts`, `server.address`) and counts
 * in `fishcloud.alerts.sent` by `kind` and `outcome` (`delivered`, `failed`, `logged`). The HTTP client's own span
 * and its trace-context headers are off for these requests: that span would record the full URL, and the receiver,
 * outside, has no use for our trace ids.
 */
import * as NodeCrypto from "node:crypto"
import { Clock, Data, DateTime, Duration, Effect, FiberSet, Layer, Option, Redacted, Schedule, Schema } from "effect"
import { constTrue } from "effect/Function"
import { FetchHttpClient, HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import { Alerts } from "../../services/alerts.ts"
import { Alert } from "../../src/domain/alert.ts"
import { type AlertOutcome, countAlert } from "../../src/metrics.ts"
import { rootCause } from "../net/root-cause.ts"
import { AlertsConfig } from "./alerts-config.ts"

export interface DeliveryPolicy {
  /** One attempt, from sending the request to reading the answer's body. */
  readonly attemptTimeout: Duration.Duration
  /** Waits double from `base` up to `cap` between attempts; `attempts` counts the first one too. */
  readonly retry: { readonly base: Duration.Duration; readonly cap: Duration.Duration; readonly attempts: number }
  /** How long shutting down waits for deliveries still running before interrupting them. */
  readonly shutdownGrace: Duration.Duration
}

/** Waits of 2, 4, 8, 16 and 30 s between the 6 attempts: attempts at 0, 2, 6, 14, 30 and 60 s when each fails fast. */
const deliveryPolicy: DeliveryPolicy = {
  attemptTimeout: Duration.seconds(10),
  retry: { base: Duration.seconds(2), cap: Duration.seconds(30), attempts: 6 },
  shutdownGrace: Duration.seconds(5)
}

const serviceName = "fishcloud"
const timestampHeader = "x-fishcloud-timestamp"
const signatureHeader = "x-fishcloud-signature"
/** How much of a refusing receiver's answer goes into the ERROR line. */
const answerExcerptChars = 200

/** Why one attempt failed; `retryable` says whether another attempt can help. Never leaves this file. */
class DeliveryFailed extends Data.TaggedError("DeliveryFailed")<{ readonly retryable: boolean; readonly reason: string }> {}

/** One line an operator reads: what happened, to what. */
const summarize = (alert: Alert): string => {
  switch (alert._tag) {
    case "pod_reaped":
      return `pod ${alert.pod_id} ${alert.job_id === null ? "of no job" : `of job ${alert.job_id}`} reaped (${alert.reason})`
    case "terminate_failed":
      return `pod ${alert.pod_id} of job ${alert.job_id} could not be terminated and may still be billing: ${alert.error}`
    case "job_stale":
      return `job ${alert.job_id} stayed ${Math.round(alert.minutes_in_status)} min in ${alert.status}, ${
        alert.failed ? "failed" : "left to its running execution"
      }`
    case "internal_error":
      return `job ${alert.job_id} failed with an internal error: ${alert.message}`
  }
}

/** The alert's fields as log annotations, its kind as `alert`. */
const annotationsOf = (alert: Alert): Record<string, unknown> => {
  const { _tag, ...fields } = alert
  return { alert: _tag, ...fields }
}

const describe = (alert: Alert) => `${alert._tag} ${summarize(alert)}`

const sendSpan = (alert: Alert, attributes: Record<string, unknown> = {}) =>
  Effect.withSpan("Alerts.send", { attributes: { "alert.kind": alert._tag, ...attributes } })

const finish = (alert: Alert, outcome: AlertOutcome, attributes: Record<string, unknown> = {}) =>
  Effect.andThen(
    Effect.annotateCurrentSpan({ "alert.outcome": outcome, ...attributes }),
    countAlert(alert._tag, outcome)
  )

/** The alerts of a service without a webhook: WARN log lines. */
const logAlerts = Alerts.of({
  send: (alert) =>
    Effect.logWarning(`alert: ${describe(alert)}`).pipe(
      Effect.annotateLogs(annotationsOf(alert)),
      Effect.andThen(finish(alert, "logged")),
      sendSpan(alert)
    )
})

export interface WebhookAlertsOptions {
  /** ALERT_WEBHOOK_URL, as the config checked it. */
  readonly url: string
  /** ALERT_WEBHOOK_SECRET: signs each request when set. */
  readonly secret: Option.Option<Redacted.Redacted<string>>
  /** Replaces some of `deliveryPolicy` (tests: no back-off, a short timeout, no grace). */
  readonly policy?: Partial<DeliveryPolicy>
  /** `false`: `send` waits for the delivery to end. Default `true`: it is forked into the scope (top comment). */
  readonly background?: boolean
}

/** Webhook alerts from explicit options; needs an `HttpClient`, and the scope its background deliveries live in. */
export const makeWebhookAlerts = Effect.fnUntraced(function*(options: WebhookAlertsOptions) {
  const policy: DeliveryPolicy = { ...deliveryPolicy, ...options.policy }
  const http = yield* HttpClient.HttpClient
  const host = URL.canParse(options.url) ? new URL(options.url).host : "(unparsable URL)"
  // max: both must go on (the attempt count ends it), with the longer wait (the capped exponential one).
  const schedule = Schedule.max([
    Schedule.min([Schedule.exponential(policy.retry.base), Schedule.spaced(policy.retry.cap)]),
    Schedule.recurs(Math.max(0, policy.retry.attempts - 1))
  ])
  const encodeAlert = Schema.encodeEffect(Alert)

  const encodeBody = (alert: Alert) =>
    Effect.gen(function*() {
      const encoded = yield* encodeAlert(alert).pipe(
        Effect.mapError((error) => new DeliveryFailed({ retryable: false, reason: `cannot encode the alert: ${error.message}` }))
      )
      const sentAt = DateTime.formatIso(yield* DateTime.now)
      return JSON.stringify({ ...encoded, sent_at: sentAt, service: serviceName })
    })

  /** `sha256=<hex>` of `<timestamp>.<body>`, the scheme in the top comment. */
  const sign = (secret: Redacted.Redacted<string>, timestamp: number, body: string) =>
    `sha256=${NodeCrypto.createHmac("sha256", Redacted.value(secret)).update(`${timestamp}.${body}`, "utf8").digest("hex")}`

  /** Removes the secret and the signature from text a receiver sent back, before it reaches a log line. */
  const scrub = (text: string, signature: string | undefined) => {
    let clean = text
    for (const word of [Option.match(options.secret, { onNone: () => "", onSome: Redacted.value }), signature ?? ""]) {
      if (word.trim() !== "") clean = clean.split(word).join("[redacted]")
    }
    return clean
  }

  const transportFailure = (error: HttpClientError.HttpClientError) => {
    if (error.reason._tag === "TransportError") {
      const why = rootCause(error.reason.cause)
      return new DeliveryFailed({ retryable: true, reason: `unreachable: ${why ?? error.message}` })
    }
    return new DeliveryFailed({ retryable: false, reason: `request failed: ${error.message}` })
  }

  const attempt = (body: string) =>
    Effect.gen(function*() {
      const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const signature = Option.getOrUndefined(Option.map(options.secret, (secret) => sign(secret, timestamp, body)))
      const request = HttpClientRequest.post(options.url).pipe(
        HttpClientRequest.bodyText(body, "application/json"),
        HttpClientRequest.setHeaders(
          signature === undefined ? {} : { [timestampHeader]: String(timestamp), [signatureHeader]: signature }
        )
      )
      const response = yield* http.execute(request).pipe(Effect.mapError(transportFailure))
      // Read the answer either way: it frees the connection, and a refusal's words help whoever reads the ERROR line.
      const answer = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
      if (response.status >= 200 && response.status < 300) return response.status
      const excerpt = scrub(answer.trim().slice(0, answerExcerptChars), signature)
      return yield* new DeliveryFailed({
        retryable: response.status === 429 || response.status >= 500,
        reason: `answered ${response.status}${excerpt === "" ? "" : `: ${excerpt}`}`
      })
    }).pipe(
      Effect.timeoutOrElse({
        duration: policy.attemptTimeout,
        orElse: () =>
          Effect.fail(new DeliveryFailed({ retryable: true, reason: `no answer within ${Duration.format(policy.attemptTimeout)}` }))
      }),
      Effect.provideService(HttpClient.TracerDisabledWhen, constTrue)
    )

  const deliver = (alert: Alert): Effect.Effect<void> =>
    Effect.suspend(() => {
      let attempts = 0
      const once = (body: string) =>
        Effect.suspend(() => {
          attempts += 1
          return attempt(body)
        }).pipe(
          Effect.tapError((failure) =>
            Effect.logDebug(`alert delivery to ${host}, attempt ${attempts} of ${policy.retry.attempts}: ${failure.reason}`)
          )
        )
      return encodeBody(alert).pipe(
        Effect.flatMap((body) => once(body).pipe(Effect.retry({ schedule, while: (failure) => failure.retryable }))),
        Effect.matchEffect({
          onSuccess: (status) =>
            Effect.logInfo(`alert delivered to ${host}: ${describe(alert)}`).pipe(
              Effect.annotateLogs(annotationsOf(alert)),
              Effect.andThen(finish(alert, "delivered", { "alert.attempts": attempts, "http.response.status_code": status }))
            ),
          onFailure: (failure) =>
            Effect.logError(
              `alert not delivered to ${host} after ${attempts} attempt${attempts === 1 ? "" : "s"} (${failure.reason}): ${describe(alert)}`
            ).pipe(
              Effect.annotateLogs(annotationsOf(alert)),
              Effect.andThen(finish(alert, "failed", { "alert.attempts": attempts, "error.type": "delivery_failed" }))
            )
        }),
        Effect.onInterrupt(() =>
          Effect.logError(`alert not delivered to ${host}: the service stopped while delivering it: ${describe(alert)}`).pipe(
            Effect.annotateLogs(annotationsOf(alert)),
            Effect.andThen(finish(alert, "failed", { "alert.attempts": attempts, "error.type": "interrupted" }))
          )
        )
      )
    }).pipe(sendSpan(alert, { "server.address": host }))

  if (options.background === false) return Alerts.of({ send: deliver })

  const deliveries = yield* FiberSet.make<void, never>()
  // Added after the set, so it runs before the set's own finalizer interrupts what is still running.
  yield* Effect.addFinalizer(() => FiberSet.awaitEmpty(deliveries).pipe(Effect.timeout(policy.shutdownGrace), Effect.ignore))
  return Alerts.of({ send: (alert) => Effect.asVoid(FiberSet.run(deliveries, deliver(alert))) })
})

/** `Alerts` from the ALERT_* settings: the webhook when ALERT_WEBHOOK_URL is set, else WARN log lines. */
export const AlertsLive = Layer.effect(
  Alerts,
  Effect.gen(function*() {
    const config = yield* AlertsConfig
    if (Option.isSome(config.webhookUrl)) {
      return yield* makeWebhookAlerts({ url: config.webhookUrl.value, secret: config.webhookSecret })
    }
    if (Option.isSome(config.webhookSecret)) {
      yield* Effect.logWarning("ALERT_WEBHOOK_SECRET is set but ALERT_WEBHOOK_URL is not: alerts are only logged")
    }
    return logAlerts
  })
).pipe(Layer.provide(FetchHttpClient.layer))
