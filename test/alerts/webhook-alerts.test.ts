/**
 * The alerts layer (layers/alerts/webhook-alerts.ts) against a local webhook receiver (test/support/alert-receiver.ts):
 * the body and its signature as a receiver checks them, which answers are retried and which are not, giving up
 * without failing the caller, the default back-off on the TestClock, background delivery and shutdown, the WARN
 * line without a webhook, and that the secret and the signatures never show in log lines or spans.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Latch, Layer, Metric, Option, Redacted, Schema, Scope } from "effect"
import { FetchHttpClient, HttpClient, HttpClientResponse } from "effect/http"
import { TestClock } from "effect/testing"
import { AlertsLive, type DeliveryPolicy, makeWebhookAlerts, type WebhookAlertsOptions } from "../../layers/alerts/webhook-alerts.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { Alert } from "../../src/domain/alert.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { Alerts } from "../../services/alerts.ts"
import { startAlertReceiver, verifySignature } from "../support/alert-receiver.ts"
import { configFromEnv } from "../support/config-env.ts"
import { eventually } from "../support/eventually.ts"
import { telemetryRecorder } from "../support/telemetry-recorder.ts"

const SECRET = "whsec-TESTSECRET-8c2f1a9d"

const reaped: Alert = {
  _tag: "pod_reaped",
  pod_id: "fake-1",
  pod_name: "fishcloud-job-7-a1",
  provider: "fake",
  job_id: 7 as JobId,
  reason: "job_terminal"
}
const terminateFailed: Alert = { _tag: "terminate_failed", pod_id: "fake-2", job_id: 8 as JobId, error: "provider answered 502" }

/** No waiting between attempts, 3 of them: the HTTP tests run at the speed of the receiver. */
const quick: Partial<DeliveryPolicy> = { retry: { base: Duration.zero, cap: Duration.zero, attempts: 3 } }

/** Log lines, spans and the alert counter of the effects passed to `run`. */
const harness = () => {
  const telemetry = telemetryRecorder()
  return {
    ...telemetry,
    run: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      telemetry.record(effect).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    /** `kind/outcome=count` of `fishcloud.alerts.sent`; read it inside `run`. */
    counts: Effect.map(Metric.snapshot, (metrics) =>
      metrics
        .filter((metric) => metric.id === "fishcloud.alerts.sent")
        .map((metric) =>
          `${String(metric.attributes?.["kind"])}/${String(metric.attributes?.["outcome"])}=${
            metric.type === "Counter" ? String(metric.state.count) : "?"
          }`
        )),
    linesAt: (level: string) => telemetry.lines.filter((line) => line.includes(`level=${level}`)),
    sendSpans: () => telemetry.spans.filter((span) => span.name === "Alerts.send")
  }
}

/** Webhook alerts that wait for each delivery (`background: false`), signed with SECRET unless told otherwise. */
const waitingWebhook = (url: string, options: Partial<WebhookAlertsOptions> = {}) =>
  makeWebhookAlerts({ url, secret: Option.some(Redacted.make(SECRET)), policy: quick, background: false, ...options }).pipe(
    Effect.provide(FetchHttpClient.layer)
  )

/** An HttpClient that never touches the network: `answer` decides each response. */
const inMemoryClient = (answer: (request: Parameters<Parameters<typeof HttpClient.make>[0]>[0]) => Effect.Effect<Response>) =>
  HttpClient.make((request) => Effect.map(answer(request), (response) => HttpClientResponse.fromWeb(request, response)))

const decodeAlert = Schema.decodeUnknownSync(Alert)

describe("webhook alerts", () => {
  it.effect("POSTs the alert as JSON with sent_at and service, signed over the exact body; a tampered body does not verify", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* waitingWebhook(receiver.url)
        yield* alerts.send(reaped)
        assert.deepStrictEqual(yield* h.counts, ["pod_reaped/delivered=1"])
      }))

      assert.lengthOf(receiver.requests, 1)
      const request = receiver.requests[0]!
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.path, "/hooks/fishcloud")
      assert.strictEqual(request.headers["content-type"], "application/json")
      const body = JSON.parse(request.body) as Record<string, unknown>
      assert.deepStrictEqual(decodeAlert(body), reaped)
      assert.strictEqual(body["service"], "fishcloud")
      assert.strictEqual(body["sent_at"], new Date(yield* Clock.currentTimeMillis).toISOString())
      // No trace context leaves for an outside receiver.
      assert.isUndefined(request.headers["traceparent"])
      assert.isUndefined(request.headers["b3"])

      assert.match(String(request.headers["x-fishcloud-timestamp"]), /^\d+$/)
      assert.match(String(request.headers["x-fishcloud-signature"]), /^sha256=[0-9a-f]{64}$/)
      assert.isTrue(verifySignature(SECRET, request))
      assert.isFalse(verifySignature(SECRET, { ...request, body: request.body.replace("fake-1", "fake-9") }), "tampered body")
      assert.isFalse(
        verifySignature(SECRET, { ...request, headers: { ...request.headers, "x-fishcloud-timestamp": "999" } }),
        "replayed under another timestamp"
      )
      assert.isFalse(verifySignature("another-secret", request), "another secret")

      const [span] = h.sendSpans()
      assert.isDefined(span)
      assert.strictEqual(span.attributes.get("alert.kind"), "pod_reaped")
      assert.strictEqual(span.attributes.get("alert.outcome"), "delivered")
      assert.strictEqual(span.attributes.get("alert.attempts"), 1)
      assert.strictEqual(span.attributes.get("server.address"), new URL(receiver.url).host)
      assert.lengthOf(h.linesAt("INFO"), 1)
      assert.include(h.linesAt("INFO")[0], "alert delivered")
    }))

  it.effect("without a secret the request carries no signature headers", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      const alerts = yield* waitingWebhook(receiver.url, { secret: Option.none() })
      yield* alerts.send(terminateFailed)
      assert.lengthOf(receiver.requests, 1)
      assert.isUndefined(receiver.requests[0]!.headers["x-fishcloud-signature"])
      assert.isUndefined(receiver.requests[0]!.headers["x-fishcloud-timestamp"])
      assert.deepStrictEqual(decodeAlert(JSON.parse(receiver.requests[0]!.body)), terminateFailed)
    }))

  for (const status of [500, 503, 429]) {
    it.effect(`${status} then 200: retried, delivered once, the same body both times`, () =>
      Effect.gen(function*() {
        const receiver = yield* startAlertReceiver
        receiver.script({ kind: "status", status })
        const h = harness()
        yield* h.run(Effect.gen(function*() {
          const alerts = yield* waitingWebhook(receiver.url)
          yield* alerts.send(reaped)
          assert.deepStrictEqual(yield* h.counts, ["pod_reaped/delivered=1"])
        }))
        assert.lengthOf(receiver.requests, 2)
        assert.strictEqual(receiver.requests[0]!.body, receiver.requests[1]!.body)
        assert.isTrue(verifySignature(SECRET, receiver.requests[1]!))
        assert.strictEqual(h.sendSpans()[0]?.attributes.get("alert.attempts"), 2)
        assert.lengthOf(h.linesAt("ERROR"), 0)
      }))
  }

  it.effect("400 is not retried: one request, one ERROR line with the alert, and send succeeds", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      receiver.script({ kind: "status", status: 400, body: "unknown hook" })
      const h = harness()
      const exit = yield* h.run(Effect.gen(function*() {
        const alerts = yield* waitingWebhook(receiver.url)
        const exit = yield* Effect.exit(alerts.send(reaped))
        assert.deepStrictEqual(yield* h.counts, ["pod_reaped/failed=1"])
        return exit
      }))
      assert.isTrue(Exit.isSuccess(exit))
      assert.lengthOf(receiver.requests, 1)
      const errors = h.linesAt("ERROR")
      assert.lengthOf(errors, 1)
      assert.include(errors[0], "after 1 attempt (answered 400: unknown hook)")
      assert.include(errors[0], "pod fake-1 of job 7 reaped (job_terminal)")
      assert.include(errors[0], "pod_name=fishcloud-job-7-a1")
      assert.notInclude(errors[0], "/hooks/fishcloud", "only the host is named: a webhook path may carry a token")
      assert.strictEqual(h.sendSpans()[0]?.attributes.get("alert.outcome"), "failed")
    }))

  it.effect("a refused connection is retried; after the last attempt one ERROR line, and send succeeds", () =>
    Effect.gen(function*() {
      const port = yield* freeLoopbackPort
      const h = harness()
      const exit = yield* h.run(Effect.gen(function*() {
        const alerts = yield* waitingWebhook(`http://127.0.0.1:${port}/hooks/fishcloud`)
        const exit = yield* Effect.exit(alerts.send(terminateFailed))
        assert.deepStrictEqual(yield* h.counts, ["terminate_failed/failed=1"])
        return exit
      }))
      assert.isTrue(Exit.isSuccess(exit))
      assert.lengthOf(h.linesAt("DEBUG").filter((line) => line.includes("ECONNREFUSED")), 3)
      const errors = h.linesAt("ERROR")
      assert.lengthOf(errors, 1)
      assert.include(errors[0], "after 3 attempts (unreachable: connect ECONNREFUSED")
      assert.include(errors[0], "may still be billing")
    }))

  it.effect("a receiver that never answers: each attempt gives up after 10 s (TestClock), then one ERROR line", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      receiver.script({ kind: "hang" }, { kind: "hang" }, { kind: "hang" })
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* waitingWebhook(receiver.url)
        const sending = yield* Effect.forkChild(alerts.send(reaped))
        for (let attempt = 1; attempt <= 3; attempt++) {
          // The attempt's timeout is armed before its request leaves, so once the receiver has it the clock may move.
          yield* eventually(`attempt ${attempt} at the receiver`, () => receiver.requests.length === attempt)
          assert.isUndefined(sending.pollUnsafe(), "still trying")
          yield* TestClock.adjust(Duration.seconds(10))
        }
        yield* Fiber.join(sending)
        assert.deepStrictEqual(yield* h.counts, ["pod_reaped/failed=1"])
      }))
      assert.lengthOf(receiver.requests, 3)
      assert.include(h.linesAt("ERROR")[0], "after 3 attempts (no answer within 10s)")
    }))

  it.effect("the default back-off: attempts at 0, 2, 6, 14, 30 and 60 s while the receiver answers 503, then it gives up", () =>
    Effect.gen(function*() {
      const at: Array<number> = []
      const client = inMemoryClient(() =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          at.push(now / 1000)
          return new Response("busy", { status: 503 })
        })
      )
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* makeWebhookAlerts({ url: "https://hooks.example/x", secret: Option.none(), background: false }).pipe(
          Effect.provideService(HttpClient.HttpClient, client)
        )
        const sending = yield* Effect.forkChild(alerts.send(reaped))
        yield* TestClock.adjust(Duration.seconds(59))
        assert.deepStrictEqual(at, [0, 2, 6, 14, 30])
        yield* TestClock.adjust(Duration.minutes(5))
        yield* Fiber.join(sending)
      }))
      assert.deepStrictEqual(at, [0, 2, 6, 14, 30, 60])
      assert.include(h.linesAt("ERROR")[0], "to hooks.example after 6 attempts (answered 503: busy)")
    }))

  it.effect("the default timeout: a receiver that never answers is given up on after two minutes", () =>
    Effect.gen(function*() {
      const at: Array<number> = []
      const client = inMemoryClient(() =>
        Effect.andThen(Effect.map(Clock.currentTimeMillis, (now) => at.push(now / 1000)), Effect.never)
      )
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* makeWebhookAlerts({ url: "https://hooks.example/x", secret: Option.none(), background: false }).pipe(
          Effect.provideService(HttpClient.HttpClient, client)
        )
        const sending = yield* Effect.forkChild(alerts.send(reaped))
        yield* TestClock.adjust(Duration.minutes(5))
        yield* Fiber.join(sending)
      }))
      // 10 s per attempt plus waits of 2, 4, 8, 16 and 30 s.
      assert.deepStrictEqual(at, [0, 12, 26, 44, 70, 110])
      assert.include(h.linesAt("ERROR")[0], "after 6 attempts (no answer within 10s)")
    }))

  it.effect("neither the secret nor a signature shows in log lines or spans, even when the receiver echoes them", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      receiver.script({ kind: "status", status: 401, body: `bad signature for secret ${SECRET}` }, { kind: "status", status: 500 })
      const port = yield* freeLoopbackPort
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* waitingWebhook(receiver.url)
        yield* alerts.send(reaped) // 401: refused, the secret echoed
        yield* alerts.send(terminateFailed) // 500, then delivered
        yield* (yield* waitingWebhook(`http://127.0.0.1:${port}/x`)).send(reaped) // unreachable
      }))
      assert.lengthOf(receiver.requests, 3)
      const signatures = receiver.requests.map((request) => String(request.headers["x-fishcloud-signature"]).slice("sha256=".length))
      assert.include(h.linesAt("ERROR")[0], "answered 401: bad signature for secret [redacted]")
      const text = [...h.lines, ...h.spanText()]
      assert.isAbove(text.length, 5)
      for (const line of text) {
        assert.notInclude(line, SECRET)
        assert.notInclude(line, "TESTSECRET")
        for (const signature of signatures) assert.notInclude(line, signature)
      }
    }))
})

describe("background delivery", () => {
  it.effect("send returns before the receiver answers; at shutdown a delivery still running is interrupted and logged at ERROR", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      receiver.script({ kind: "hang" })
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const scope = yield* Scope.make()
        const alerts = yield* waitingWebhook(receiver.url, { background: true, policy: { ...quick, shutdownGrace: Duration.zero } }).pipe(
          Scope.provide(scope)
        )
        yield* alerts.send(reaped)
        yield* eventually("the request at the receiver", () => receiver.requests.length === 1)
        assert.lengthOf(h.linesAt("ERROR"), 0)
        yield* Scope.close(scope, Exit.void)
        assert.deepStrictEqual(yield* h.counts, ["pod_reaped/failed=1"])
      }))
      const errors = h.linesAt("ERROR")
      assert.lengthOf(errors, 1)
      assert.include(errors[0], "the service stopped while delivering it: pod_reaped pod fake-1 of job 7 reaped (job_terminal)")
      assert.strictEqual(h.sendSpans()[0]?.attributes.get("error.type"), "interrupted")
    }))

  it.effect("shutting down waits for a running delivery up to the grace (5 s), then interrupts it", () =>
    Effect.gen(function*() {
      const answer = yield* Latch.make()
      const client = inMemoryClient(() => Effect.andThen(answer.await, Effect.succeed(new Response("ok"))))
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const open = (scope: Scope.Scope) =>
          makeWebhookAlerts({ url: "https://hooks.example/x", secret: Option.none() }).pipe(
            Effect.provideService(HttpClient.HttpClient, client),
            Scope.provide(scope)
          )
        const settle = Effect.repeat(Effect.yieldNow, { times: 50 })

        // Answered within the grace: delivered.
        const first = yield* Scope.make()
        yield* (yield* open(first)).send(reaped)
        const closingFirst = yield* Effect.forkChild(Scope.close(first, Exit.void))
        yield* settle
        assert.isUndefined(closingFirst.pollUnsafe(), "shutdown waits for the delivery")
        yield* answer.open
        yield* Fiber.join(closingFirst)
        assert.deepStrictEqual(yield* h.counts, ["pod_reaped/delivered=1"])

        // Not answered within the grace: interrupted.
        yield* answer.close
        const second = yield* Scope.make()
        yield* (yield* open(second)).send(terminateFailed)
        const closingSecond = yield* Effect.forkChild(Scope.close(second, Exit.void))
        yield* settle
        yield* TestClock.adjust(Duration.millis(4999))
        assert.isUndefined(closingSecond.pollUnsafe(), "still within the grace")
        yield* TestClock.adjust(Duration.millis(1))
        yield* Fiber.join(closingSecond)
        assert.sameMembers([...yield* h.counts], ["pod_reaped/delivered=1", "terminate_failed/failed=1"])
      }))
      assert.include(h.linesAt("ERROR")[0], "the service stopped while delivering it: terminate_failed")
    }))
})

describe("AlertsLive", () => {
  it.effect("without ALERT_WEBHOOK_URL: one WARN line with the alert's fields as annotations, counted as logged", () =>
    Effect.gen(function*() {
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* Alerts
        yield* alerts.send(reaped)
        assert.deepStrictEqual(yield* h.counts, ["pod_reaped/logged=1"])
      }).pipe(Effect.provide(AlertsLive.pipe(Layer.provide(configFromEnv({ ALERT_WEBHOOK_SECRET: SECRET }))))))
      // The secret without a URL is pointed out once at start, then each alert is one line.
      const warnings = h.linesAt("WARN")
      assert.lengthOf(warnings, 2)
      assert.include(warnings[0], "ALERT_WEBHOOK_SECRET is set but ALERT_WEBHOOK_URL is not")
      const line = warnings[1]!
      assert.include(line, 'message="alert: pod_reaped pod fake-1 of job 7 reaped (job_terminal)"')
      for (const field of ["alert=pod_reaped", "pod_id=fake-1", "pod_name=fishcloud-job-7-a1", "provider=fake", "job_id=7", "reason=job_terminal"]) {
        assert.include(line, field)
      }
      assert.lengthOf(h.lines, 2, "nothing else is logged")
      assert.strictEqual(h.sendSpans()[0]?.attributes.get("alert.outcome"), "logged")
      for (const text of [...h.lines, ...h.spanText()]) assert.notInclude(text, SECRET)
    }))

  it.effect("with ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET: delivered in the background, signed", () =>
    Effect.gen(function*() {
      const receiver = yield* startAlertReceiver
      const h = harness()
      yield* h.run(Effect.gen(function*() {
        const alerts = yield* Alerts
        yield* alerts.send(terminateFailed)
        yield* eventually("the alert delivered", () => h.linesAt("INFO").some((line) => line.includes("alert delivered")))
        assert.deepStrictEqual(yield* h.counts, ["terminate_failed/delivered=1"])
      }).pipe(
        Effect.provide(AlertsLive.pipe(Layer.provide(configFromEnv({ ALERT_WEBHOOK_URL: receiver.url, ALERT_WEBHOOK_SECRET: SECRET }))))
      ))
      assert.lengthOf(receiver.requests, 1)
      assert.isTrue(verifySignature(SECRET, receiver.requests[0]!))
      assert.deepStrictEqual(decodeAlert(JSON.parse(receiver.requests[0]!.body)), terminateFailed)
    }))

  it.effect("a bad ALERT_WEBHOOK_URL stops the layer with an error naming it", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(AlertsLive.pipe(Layer.provide(configFromEnv({ ALERT_WEBHOOK_URL: "https://hooks.example/x?token=1" }))))
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "ALERT_WEBHOOK_URL")
    }))
})
