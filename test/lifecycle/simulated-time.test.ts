/**
 * The simulated time the scenarios run on (`test/support/simulated-time.ts`): the clock waits for real I/O, jumps
 * to the next sleep, and a stall is reported at once. Each of these would go wrong with a clock that advances in
 * fixed steps while the database answers.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabaseLive } from "../support/test-database.ts"
import { SimulatedTimeLive } from "../support/simulated-time.ts"
import { SimulatedTime } from "../support/simulated-time.ts"

/** A fiber that wakes every 10 s forever, so there is always a next sleep the clock could jump to. */
const ticker = Effect.forkChild(Effect.forever(Effect.sleep("10 seconds")))

const finished = (fiber: Fiber.Fiber<unknown, unknown>) => Effect.sync(() => fiber.pollUnsafe() !== undefined)

layer(TestDatabaseLive)("simulated time", (it) => {
  it.effect("does not move while a query is in flight: a 1 s timeout around a 0.5 s query does not fire", () =>
    Effect.gen(function*() {
      const time = yield* SimulatedTime
      const sql = yield* SqlClient.SqlClient
      yield* ticker
      const query = yield* Effect.forkChild(sql`SELECT pg_sleep(0.5)`.pipe(Effect.timeout("1 second")))
      const took = yield* time.advanceUntil(finished(query), "1 hour")
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(query)), "the query answered; no simulated time passed meanwhile")
      assert.strictEqual(took, 0)
    }).pipe(Effect.provide(SimulatedTimeLive)))

  it.effect("does not move while a file-system request is pending", () =>
    Effect.gen(function*() {
      const time = yield* SimulatedTime
      const folder = yield* Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-simulated-time-")))
      const fifo = NodePath.join(folder, "fifo")
      ChildProcess.execFileSync("mkfifo", [fifo])
      yield* ticker
      // Opening a FIFO for reading blocks (on Node's thread pool) until a writer opens it, 300 ms from now in real time.
      const opening = yield* Effect.forkChild(
        Effect.promise(() => Fs.open(fifo, "r").then((handle) => handle.close())).pipe(Effect.timeout("1 second"))
      )
      const writer = setTimeout(() => void Fs.open(fifo, "w").then((handle) => handle.close()), 300)
      yield* time.advanceUntil(finished(opening), "1 hour")
      clearTimeout(writer)
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(opening)), "the open completed before its timeout")
      yield* Effect.promise(() => Fs.rm(folder, { recursive: true, force: true }))
    }).pipe(Effect.provide(SimulatedTimeLive)))

  it.effect("jumps straight to the next pending sleep, and wakes sleeps in order", () =>
    Effect.gen(function*() {
      const time = yield* SimulatedTime
      const woken: Array<string> = []
      yield* Effect.forkChild(Effect.sleep("90 minutes").pipe(Effect.andThen(Effect.sync(() => woken.push("90 min")))))
      yield* Effect.forkChild(Effect.sleep("1 minute").pipe(Effect.andThen(Effect.sync(() => woken.push("1 min")))))
      const took = yield* time.advanceUntil(Effect.sync(() => woken.length === 2), "2 hours")
      assert.strictEqual(took, 90 * 60)
      assert.deepStrictEqual(woken, ["1 min", "90 min"])
    }).pipe(Effect.provide(SimulatedTimeLive)))

  it.effect("advanceBy wakes what is due and leaves the rest asleep", () =>
    Effect.gen(function*() {
      const time = yield* SimulatedTime
      const start = yield* time.now
      const early = yield* Effect.forkChild(Effect.sleep("29 seconds"))
      const late = yield* Effect.forkChild(Effect.sleep("31 seconds"))
      yield* time.advanceBy("30 seconds")
      assert.strictEqual((yield* time.now) - start, 30_000)
      assert.isDefined(early.pollUnsafe())
      assert.isUndefined(late.pollUnsafe())
    }).pipe(Effect.provide(SimulatedTimeLive)))

  it.effect("a program that waits for nothing that can happen is reported at once as a stall", () =>
    Effect.gen(function*() {
      const time = yield* SimulatedTime
      const never = yield* Deferred.make<void>()
      yield* Effect.forkChild(Deferred.await(never))
      const exit = yield* Effect.exit(time.advanceUntil(Effect.succeed(false), "1 hour", Effect.succeed("waiting on a deferred")))
      assert.isTrue(Exit.isFailure(exit))
      assert.match(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "", /scenario stalled at 0s of simulated time: nothing runs, no I\/O is in flight and nothing sleeps; waiting on a deferred/)
    }).pipe(Effect.provide(SimulatedTimeLive)))
})
