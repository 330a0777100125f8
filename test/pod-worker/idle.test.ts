/**
 * The pod's dead-man's switch: the rule (`idle-rule.ts`), the watch on a real in-process worker driven over HTTP
 * while the TestClock stands in for hours, and the worker as a process that stops by itself.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Redacted, Ref } from "effect"
import { TestClock } from "effect/testing"
import { type IdleFacts, idleDeadline } from "../../src/pod-worker/idle-rule.ts"
import { IdleWatch, idleShutdown } from "../../src/pod-worker/idle-watch.ts"
import { PodWorkerSettingsWith } from "../../src/pod-worker/pod-worker-config.ts"
import { eventuallyEffect } from "../support/eventually.ts"
import { exited, get, jobRequest, post, runWorkerToExit, spawnWorker, startWorker, tempDir, testWorkerSecret } from "../support/pod-worker.ts"

const minutes = (n: number) => n * 60_000
const limits = { afterJob: Duration.minutes(30), beforeJob: Duration.hours(2) }
const facts = (overrides: Partial<IdleFacts>): IdleFacts => ({
  startedAt: 0,
  lastContactAt: undefined,
  jobEndedAt: undefined,
  jobRunning: false,
  ...overrides
})

/** Whether the fiber is still waiting once everything woken so far has run (no I/O involved: a few yields). */
const waiting = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 20; i++) yield* Effect.yieldNow
    return fiber.pollUnsafe() === undefined
  })

/** The worker's `/status`: a request that counts as contact only with the secret. */
const poll = (url: string, secret: Redacted.Redacted<string> | null = testWorkerSecret) => Effect.map(get(`${url}/status`, secret), (reply) => reply.status)

describe("pod worker dead-man's switch: the rule", () => {
  it("before any contact: two hours after the start", () => {
    assert.deepStrictEqual(idleDeadline(facts({ startedAt: 1000 }), limits), {
      at: 1000 + minutes(120),
      reason: "no request from the service in the 2h since the worker started (POD_IDLE_TIMEOUT_BEFORE_JOB)"
    })
  })

  it("contact but no job yet: two hours after the last request", () => {
    const deadline = idleDeadline(facts({ lastContactAt: minutes(50) }), limits)
    assert.strictEqual(deadline?.at, minutes(170))
    assert.match(deadline?.reason ?? "", /for 2h and no job submitted/)
  })

  it("a running job holds it off, however long nothing is heard", () => {
    assert.isUndefined(idleDeadline(facts({ jobRunning: true }), limits))
    assert.isUndefined(idleDeadline(facts({ jobRunning: true, jobEndedAt: 5, lastContactAt: 7 }), limits))
  })

  it("after a job: thirty minutes after the later of its end and the last request", () => {
    const ended = idleDeadline(facts({ jobEndedAt: minutes(90), lastContactAt: minutes(80) }), limits)
    assert.deepStrictEqual(ended, {
      at: minutes(120),
      reason: "no request from the service for 30m since its job ended (POD_IDLE_TIMEOUT)"
    })
    assert.strictEqual(idleDeadline(facts({ jobEndedAt: minutes(90), lastContactAt: minutes(100) }), limits)?.at, minutes(130))
  })
})

describe("pod worker dead-man's switch: the watch", () => {
  it.effect("no contact at all: the worker stops two hours after it started, not before", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 0 })
      const idle = yield* Effect.forkChild(worker.idle)
      yield* TestClock.adjust("119 minutes")
      assert.isTrue(yield* waiting(idle), "still up after 1 h 59 min")
      // Requests without the secret, or with a wrong one, are not the service: they do not count.
      assert.strictEqual((yield* get(`${worker.url}/health`, null)).status, 200)
      assert.strictEqual(yield* poll(worker.url, null), 401)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(idle), "no request from the service in the 2h since the worker started (POD_IDLE_TIMEOUT_BEFORE_JOB)")
    }), 30_000)

  it.effect("a worker the service polls does not stop; two hours after the polls stop, it does", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 0 })
      const idle = yield* Effect.forkChild(worker.idle)
      // Six hours of a poll every ten minutes: /health counts too when it carries the secret.
      for (let i = 0; i < 36; i++) {
        assert.strictEqual(i % 2 === 0 ? yield* poll(worker.url) : (yield* get(`${worker.url}/health`)).status, 200)
        yield* TestClock.adjust("10 minutes")
        assert.isTrue(yield* waiting(idle), `still up after ${(i + 1) * 10} minutes`)
      }
      yield* TestClock.adjust("109 minutes")
      assert.isTrue(yield* waiting(idle), "counted from the last poll, not from the start")
      yield* TestClock.adjust("1 minute")
      assert.match(yield* Fiber.join(idle), /for 2h and no job submitted/)
    }), 30_000)

  it.effect("a worker whose job finished stops thirty minutes after the last sign of the service", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 0 })
      const idle = yield* Effect.forkChild(worker.idle)
      // Early enough that the window before a job (2 h) would end long after the one after it.
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual((yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 2 }))).status, 200)
      yield* eventuallyEffect("the job to finish", Effect.map(get(`${worker.url}/status`), (reply) => reply.json.status === "completed"))

      yield* TestClock.adjust("29 minutes")
      assert.isTrue(yield* waiting(idle))
      assert.strictEqual(yield* poll(worker.url), 200, "the service reads the results")
      yield* TestClock.adjust("29 minutes")
      assert.isTrue(yield* waiting(idle), "the read moved the deadline")
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(idle), "no request from the service for 30m since its job ended (POD_IDLE_TIMEOUT)")
    }), 30_000)

  it.effect("while a job runs nothing stops it; once it ends, the idle window starts", () =>
    Effect.gen(function*() {
      const state = yield* Ref.make(facts({ jobRunning: true }))
      const watch = IdleWatch.of({ contact: Effect.void, jobEnded: Effect.void, facts: Ref.get(state) })
      const idle = yield* Effect.forkChild(
        idleShutdown.pipe(Effect.provide(Layer.merge(Layer.succeed(IdleWatch, watch), PodWorkerSettingsWith({ secret: testWorkerSecret }))))
      )
      yield* TestClock.adjust("12 hours")
      assert.isTrue(yield* waiting(idle), "twelve hours without a request, but the job runs")
      yield* Ref.set(state, facts({ jobEndedAt: minutes(12 * 60) }))
      yield* TestClock.adjust("29 minutes")
      assert.isTrue(yield* waiting(idle))
      yield* TestClock.adjust("1 minute")
      assert.match(yield* Fiber.join(idle), /since its job ended/)
    }), 30_000)
})

describe("pod worker dead-man's switch: the process", () => {
  it.live("a worker nobody talks to logs why and exits 0 on its own", () =>
    Effect.gen(function*() {
      const home = yield* tempDir("pod-worker-idle-")
      const { code, output } = yield* runWorkerToExit(home, { POD_IDLE_TIMEOUT_BEFORE_JOB: "1 second" })
      assert.strictEqual(code, 0, output)
      assert.include(output, "pod worker listening")
      assert.include(output, "pod worker stopping: no request from the service in the 1s since the worker started")
    }), 60_000)

  it.live("a worker whose job finished exits once the service has been silent for POD_IDLE_TIMEOUT", () =>
    Effect.gen(function*() {
      const home = yield* tempDir("pod-worker-idle-")
      const worker = yield* spawnWorker(home, undefined, { POD_IDLE_TIMEOUT: "1 second", POD_IDLE_TIMEOUT_BEFORE_JOB: "1 hour" })
      assert.strictEqual((yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 1 }))).status, 200)
      yield* eventuallyEffect("the job to finish", Effect.map(get(`${worker.url}/status`), (reply) => reply.json.status === "completed"))
      const code = yield* exited(worker.child).pipe(
        Effect.timeoutOrElse({ duration: "30 seconds", orElse: () => Effect.die(new Error(`still running:\n${worker.output()}`)) })
      )
      assert.strictEqual(code, 0, worker.output())
      assert.include(worker.output(), "pod worker stopping: no request from the service for 1s since its job ended")
    }), 60_000)
})
