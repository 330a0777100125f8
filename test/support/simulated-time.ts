/**
 * Simulated time that moves only when the program is waiting for it.
 *
 * Scenario tests run the real workflows against a real Postgres with the TestClock. If the clock moved while a query
 * was still in flight (as a fixed "advance 5 s, give the database 6 ms" loop does on a busy machine), poll budgets,
 * stuck watchdogs and timeouts would fire in the test that never fire in production, and the scenario would take
 * another branch. So the clock here moves only when nothing else can happen first:
 *
 * 1. no fiber is runnable: a counting wrapper of the Scheduler knows how many fiber tasks are queued;
 * 2. no network round trip is in flight: a counting wrapper of the Tracer knows how many client spans (every SQL
 *    statement and every HTTP request is one) and SQL transactions are open;
 * 3. no file-system, DNS or socket-connect request of Node's is pending: an async hook counts each from creation to
 *    its callback;
 * 4. all of that has held for a few event-loop turns in a row, so callbacks and microtasks have run.
 *
 * Only then does the clock jump, straight to the earliest pending sleep (a wrapper of the TestClock's `sleep` keeps
 * their deadlines), which wakes it, and the cycle starts again. The waiting is event-driven (a dropping counter
 * wakes it): no real-time sleep anywhere. If the program is quiescent and nothing sleeps, nothing can ever happen
 * again; `advanceUntil` reports that at once as a stall rather than running into a timeout.
 *
 * An HTTP request counts until its response headers arrive; the fakes in `test/support` answer with one write, so
 * the body is there with them.
 *
 * Node's thread-pool crypto is the one kind of I/O no counter can see (a synchronous call creates the same request
 * type as an asynchronous one, and never calls back). The workflow engine hashes every execution id and activity key
 * with WebCrypto's `digest`, so `layer` gives the scenario a WebCrypto whose `digest` computes the same bytes on the
 * spot.
 *
 * `layer` provides the Clock, Scheduler, Tracer and WebCrypto that every fiber built on top of it inherits, so it
 * must sit below everything the scenario runs (see `ScenarioLive` in `scenario.ts`).
 */
import * as AsyncHooks from "node:async_hooks"
import * as NodeCrypto from "node:crypto"
import { Clock, Context, Duration, Effect, Layer, Option, Scheduler, Tracer } from "effect"
import { WebCrypto } from "effect/crypto"
import type { Exit } from "effect"
import { TestClock } from "effect/testing"

/** Event-loop turns that must pass with nothing runnable and no I/O before the program counts as waiting. */
const calmTurns = 2

/**
 * A watchdog, not a wait: a program that never becomes quiescent (a busy loop, or I/O that never answers) fails with
 * what it was doing instead of running into the test's timeout.
 */
const settleWatchdogMs = 30_000

export class SimulatedTime extends Context.Service<SimulatedTime, {
  /** Simulated milliseconds since the epoch. */
  readonly now: Effect.Effect<number>
  /** Waits (in real time, driven by events) until nothing runs and no I/O is in flight. */
  readonly settle: Effect.Effect<void>
  /**
   * Lets the program run, moving the clock from one pending sleep to the next, until `done` holds when the program
   * is waiting. Returns the simulated seconds it took. Dies when `limit` of simulated time would be exceeded, or when
   * nothing runs and nothing sleeps (a stall), adding what `explain` says to the message.
   */
  readonly advanceUntil: <R, R2 = never>(
    done: Effect.Effect<boolean, never, R>,
    limit: Duration.Input,
    explain?: Effect.Effect<string, never, R2>
  ) => Effect.Effect<number, never, R | R2>
  /** Lets the program run for `duration` of simulated time, waking every sleep due in it in order. */
  readonly advanceBy: (duration: Duration.Input) => Effect.Effect<void>
}>()("test/SimulatedTime") {}

/** What the program is doing right now, for the quiescence check and for failure messages. */
interface Activity {
  /** Fiber tasks queued on the scheduler and not yet run. */
  queuedTasks: number
  /** Open client spans (SQL statements, HTTP requests) and SQL transactions, and pending Node requests. */
  openIo: number
  /** The same, by span name or Node resource type, for failure messages. */
  readonly openIoNames: Map<string, number>
  /** Called whenever a counter drops, to wake a pending `settle`. */
  onDrop: (() => void) | undefined
}

const opened = (activity: Activity, name: string) => {
  activity.openIo++
  activity.openIoNames.set(name, (activity.openIoNames.get(name) ?? 0) + 1)
}

const closed = (activity: Activity, name: string) => {
  const left = (activity.openIoNames.get(name) ?? 1) - 1
  if (left === 0) activity.openIoNames.delete(name)
  else activity.openIoNames.set(name, left)
  activity.openIo--
  activity.onDrop?.()
}

const isIo = (options: { readonly name: string; readonly kind: Tracer.SpanKind }) =>
  options.kind === "client" || options.name === "sql.transaction"

const countingScheduler = (inner: Scheduler.Scheduler, activity: Activity): Scheduler.Scheduler => ({
  executionMode: inner.executionMode,
  shouldYield: (fiber) => inner.shouldYield(fiber),
  makeDispatcher() {
    const dispatcher = inner.makeDispatcher()
    return {
      scheduleTask(task, priority) {
        activity.queuedTasks++
        dispatcher.scheduleTask(() => {
          try {
            task()
          } finally {
            activity.queuedTasks--
            activity.onDrop?.()
          }
        }, priority)
      },
      flush: () => dispatcher.flush()
    }
  }
})

/** A span that counts itself in `activity.openIo` until it ends; everything else is the inner span's. */
class CountedSpan implements Tracer.Span {
  readonly _tag = "Span"
  #open = true
  readonly inner: Tracer.Span
  readonly activity: Activity
  constructor(inner: Tracer.Span, activity: Activity) {
    this.inner = inner
    this.activity = activity
    opened(activity, inner.name)
  }
  get name() { return this.inner.name }
  get spanId() { return this.inner.spanId }
  get traceId() { return this.inner.traceId }
  get parent() { return this.inner.parent }
  get annotations() { return this.inner.annotations }
  get status() { return this.inner.status }
  get attributes() { return this.inner.attributes }
  get links() { return this.inner.links }
  get sampled() { return this.inner.sampled }
  get kind() { return this.inner.kind }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>) {
    this.inner.end(endTime, exit)
    if (!this.#open) return
    this.#open = false
    closed(this.activity, this.inner.name)
  }
  attribute(key: string, value: unknown) { this.inner.attribute(key, value) }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>) { this.inner.event(name, startTime, attributes) }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>) { this.inner.addLinks(links) }
}

const countingTracer = (inner: Tracer.Tracer, activity: Activity): Tracer.Tracer =>
  Tracer.make({
    span(options) {
      const span = inner.span(options)
      return isIo(options) ? new CountedSpan(span, activity) : span
    },
    ...(inner.context === undefined ? {} : { context: inner.context })
  })

/**
 * Node's one-shot requests that always call back once: pending from `init` to `after` (or `destroy`). Handles that
 * call back many times (sockets, timers, streams) are left out, since an idle one would look pending forever:
 * network round trips are counted by their spans instead.
 */
const isOneShotRequest = (type: string) =>
  /^FSREQ|^FILEHANDLECLOSEREQ$|^GET(ADDR|NAME)INFOREQWRAP$|^(CONNECT|QUERY)WRAP$/.test(type)

/** WebCrypto with a `digest` that answers at once (same bytes) instead of on the thread pool. */
const immediateDigestCrypto = (): Crypto => {
  const digest = (algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> => {
    const name = (typeof algorithm === "string" ? algorithm : algorithm.name).replace("-", "").toLowerCase()
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
    return Promise.resolve(new Uint8Array(NodeCrypto.createHash(name).update(bytes).digest()).buffer)
  }
  const bound = (target: object, key: string | symbol) => {
    const value: unknown = Reflect.get(target, key)
    return typeof value === "function" ? value.bind(target) : value
  }
  const subtle = new Proxy(globalThis.crypto.subtle, { get: (target, key) => key === "digest" ? digest : bound(target, key) })
  return new Proxy(globalThis.crypto, { get: (target, key) => key === "subtle" ? subtle : bound(target, key) })
}

const requestCounter = (activity: Activity) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pending = new Map<number, string>()
      const done = (asyncId: number) => {
        const type = pending.get(asyncId)
        if (type === undefined) return
        pending.delete(asyncId)
        closed(activity, type)
      }
      return AsyncHooks.createHook({
        init(asyncId, type) {
          if (!isOneShotRequest(type)) return
          pending.set(asyncId, type)
          opened(activity, type)
        },
        after: done,
        destroy: done,
        trackPromises: false
      }).enable()
    }),
    (hook) => Effect.sync(() => hook.disable())
  )

/** Resolves once the program has been quiescent for `calmTurns` event-loop turns. */
const waitForQuiescence = (activity: Activity) =>
  Effect.callback<void>((resume) => {
    let calm = 0
    let immediate: NodeJS.Immediate | undefined
    const watchdog = setTimeout(() => {
      activity.onDrop = undefined
      if (immediate !== undefined) clearImmediate(immediate)
      resume(Effect.die(new Error(`the program did not come to rest within ${settleWatchdogMs / 1000}s of real time ${activityText(activity)}`)))
    }, settleWatchdogMs)
    const check = () => {
      immediate = undefined
      activity.onDrop = undefined
      if (activity.queuedTasks > 0) {
        // Fibers are running: look again on the next turn, when their tasks have run.
        calm = 0
        immediate = setImmediate(check)
      } else if (activity.openIo > 0) {
        // Only I/O is pending: wait for a counter to drop instead of spinning next to the database.
        calm = 0
        activity.onDrop = () => {
          if (immediate === undefined) immediate = setImmediate(check)
        }
      } else if (++calm >= calmTurns) {
        clearTimeout(watchdog)
        resume(Effect.void)
      } else {
        immediate = setImmediate(check)
      }
    }
    immediate = setImmediate(check)
    return Effect.sync(() => {
      clearTimeout(watchdog)
      activity.onDrop = undefined
      if (immediate !== undefined) clearImmediate(immediate)
    })
  })

const activityText = (activity: Activity) =>
  `(queued fiber tasks: ${activity.queuedTasks}, open I/O: ${
    [...activity.openIoNames].map(([name, n]) => `${name} x${n}`).join(", ") || "none"
  })`

/**
 * Simulated time for a scenario: a fresh TestClock wrapped so that its pending sleeps are known, a scheduler and a
 * tracer that count what is running, and the `SimulatedTime` driver. Provides `Clock`, `Scheduler`, `Tracer` and
 * `WebCrypto`. The clock starts at `startMillis`.
 */
export const SimulatedTimeLiveAt = (startMillis: number) => Layer.effectContext(Effect.gen(function*() {
  const testClock = yield* TestClock.testClockWith(Effect.succeed)
  yield* testClock.setTime(startMillis)
  const activity: Activity = { queuedTasks: 0, openIo: 0, openIoNames: new Map(), onDrop: undefined }
  yield* requestCounter(activity)
  const scheduler = countingScheduler(yield* Scheduler.Scheduler, activity)
  const tracer = countingTracer(yield* Tracer.Tracer, activity)

  /** Deadlines (simulated ms) of the sleeps in progress. */
  const sleeps = new Set<{ readonly deadline: number }>()
  const sleep = (duration: Duration.Duration) =>
    Effect.suspend(() => {
      const deadline = testClock.currentTimeMillisUnsafe() + Duration.toMillis(duration)
      if (!Number.isFinite(deadline)) return testClock.sleep(duration)
      return Effect.acquireUseRelease(
        Effect.sync(() => {
          const entry = { deadline }
          sleeps.add(entry)
          return entry
        }),
        () => testClock.sleep(duration),
        (entry) => Effect.sync(() => sleeps.delete(entry))
      )
    })
  const clock: TestClock.TestClock = {
    currentTimeMillisUnsafe: () => testClock.currentTimeMillisUnsafe(),
    currentTimeMillis: testClock.currentTimeMillis,
    currentTimeNanosUnsafe: () => testClock.currentTimeNanosUnsafe(),
    currentTimeNanos: testClock.currentTimeNanos,
    monotonicTimeNanosUnsafe: () => testClock.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: testClock.monotonicTimeNanos,
    sleep,
    adjust: (duration) => testClock.adjust(duration),
    setTime: (timestamp) => testClock.setTime(timestamp),
    withLive: (effect) => testClock.withLive(effect)
  }

  /** The earliest deadline still ahead of the clock (the TestClock has already woken the ones at or before it). */
  const nextDeadline = (): Option.Option<number> => {
    const now = testClock.currentTimeMillisUnsafe()
    let next = Infinity
    for (const { deadline } of sleeps) if (deadline > now && deadline < next) next = deadline
    return Number.isFinite(next) ? Option.some(next) : Option.none()
  }

  const now = Effect.sync(() => testClock.currentTimeMillisUnsafe())
  const settle = waitForQuiescence(activity)

  const advanceUntil = <R, R2 = never>(done: Effect.Effect<boolean, never, R>, limit: Duration.Input, explain?: Effect.Effect<string, never, R2>) =>
    Effect.gen(function*() {
      const because = (message: string) =>
        Effect.flatMap(explain ?? Effect.succeed(""), (state) => Effect.die(new Error(state === "" ? message : `${message}; ${state}`)))
      const start = testClock.currentTimeMillisUnsafe()
      const end = start + Duration.toMillis(Duration.fromInputUnsafe(limit))
      while (true) {
        yield* settle
        if (yield* done) return (testClock.currentTimeMillisUnsafe() - start) / 1000
        const next = nextDeadline()
        if (Option.isNone(next)) {
          const at = (testClock.currentTimeMillisUnsafe() - start) / 1000
          return yield* because(`scenario stalled at ${at}s of simulated time: nothing runs, no I/O is in flight and nothing sleeps`)
        }
        if (next.value > end) {
          return yield* because(`scenario did not settle within ${(end - start) / 1000}s of simulated time (next wake-up at ${(next.value - start) / 1000}s)`)
        }
        yield* testClock.setTime(next.value)
      }
    })

  const advanceBy = (duration: Duration.Input) =>
    Effect.gen(function*() {
      const end = testClock.currentTimeMillisUnsafe() + Duration.toMillis(Duration.fromInputUnsafe(duration))
      while (true) {
        yield* settle
        const next = nextDeadline()
        if (Option.isNone(next) || next.value > end) break
        yield* testClock.setTime(next.value)
      }
      yield* testClock.setTime(end)
      yield* settle
    })

  return Context.make(Clock.Clock, clock).pipe(
    Context.add(Scheduler.Scheduler, scheduler),
    Context.add(Tracer.Tracer, tracer),
    Context.add(WebCrypto.WebCrypto, immediateDigestCrypto()),
    Context.add(SimulatedTime, SimulatedTime.of({ now, settle, advanceUntil, advanceBy }))
  )
})).pipe(
  // A clock of its own: its "not advancing the clock" warning would be noise while a query keeps it waiting.
  Layer.provide(TestClock.layer({ warningDelay: "10 minutes" }))
)

/**
 * Simulated time starting now (real time, to the millisecond), not at the epoch: scenarios that share a database
 * never collide on time-derived names (the fake provider's pod ids), and timestamps look like real ones.
 */
export const SimulatedTimeLive = Layer.unwrap(Effect.sync(() => SimulatedTimeLiveAt(Date.now())))
