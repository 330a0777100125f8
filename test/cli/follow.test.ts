/** `status --follow` and `submit --wait` as processes: the lines a user sees while a job runs, reconnects, the end. */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { EventStreamTiming } from "../../src/api/server/event-stream.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { appendEvent, progressAt, transition } from "../support/journal.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { assertOneLineError, runCli, scopedHome, startCli } from "../support/cli-process.ts"
import { visibleScreen } from "../support/terminal-screen.ts"

let counter = 0

const timing = Layer.succeed(EventStreamTiming, { pollMillis: 50, keepAliveMillis: 500 })

/** A user with a live job, and the env that points the CLI at the service. */
const userWithJob = (name: string) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const token = yield* service.tokenFor(`${name} #${++counter}`)
    const home = yield* scopedHome
    const reply = yield* service.call("POST", "/api/jobs", {
      token,
      json: { seed_text: "Tram vote.", goal: `follow me #${++counter}`, tier: "small", forecast_days: 14 }
    })
    assert.strictEqual(reply.status, 201, reply.text)
    const env = { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: token, FISHCLOUD_HOME: home, FISHCLOUD_WAIT_INTERVAL: "200 millis" }
    return { service, token, home, env, id: reply.json.id as JobId }
  })

const lines = (stdout: string) => stdout.trimEnd().split("\n")

layer(TestServiceLive().pipe(Layer.provide(timing)), { excludeTestServices: true })("fishcloud CLI: following a job", (it) => {
  it.effect("status --follow prints the history, then each status, stage, pod and round line, then the status and cost", () =>
    Effect.gen(function*() {
      const { env, id } = yield* userWithJob("follower")
      yield* transition(id, "PROVISIONING").pipe(Effect.orDie)
      const cli = yield* startCli(["status", String(id), "--follow"], env)
      yield* cli.waitForStdout(new RegExp(`^job ${id}: PROVISIONING$`, "m"))
      yield* Effect.gen(function*() {
        yield* JobJournal.use((journal) => journal.recordPodRequested(id, "local", "job-a1", "A100"))
        yield* JobJournal.use((journal) => journal.recordPodCreated(id, "job-a1", { id: "pod-1", gpu_type: "A100", cost_per_hour: 1.5 }))
        yield* appendEvent(id, { kind: "pod", data: { event: "ready", pod_id: "pod-1" } })
        yield* transition(id, "RUNNING")
        yield* appendEvent(id, { kind: "stage", data: { stage: 3 } })
        yield* appendEvent(id, { kind: "progress", data: { round: 7, max_rounds: 15, log_lines: ["a"], recent_posts: [], updated_at: 0 } })
        yield* appendEvent(id, { kind: "pod", data: { event: "terminated", pod_id: "pod-1", reason: "completed" } })
        yield* transition(id, "REPORTING")
        yield* transition(id, "COMPLETED")
      }).pipe(Effect.orDie)
      const result = yield* cli.result
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stderr, "")
      assert.deepStrictEqual(lines(result.stdout), [
        `job ${id}: PENDING`,
        `job ${id}: PROVISIONING`,
        `job ${id}: pod pod-1 created (A100, $1.50/h)`,
        `job ${id}: pod pod-1 ready`,
        `job ${id}: RUNNING`,
        `job ${id}: running the simulation`,
        `job ${id}: round 7/15`,
        `job ${id}: pod pod-1 terminated (completed)`,
        `job ${id}: REPORTING`,
        `job ${id}: COMPLETED`,
        `job ${id} ended COMPLETED; GPU cost $0.00`
      ])
    }))

  it.effect("status --follow on a terminal: the rounds are one bar, redrawn in place below the other lines", () =>
    Effect.gen(function*() {
      const { env, id } = yield* userWithJob("watcher")
      yield* Effect.gen(function*() {
        yield* transition(id, "PROVISIONING")
        yield* transition(id, "RUNNING")
        yield* appendEvent(id, { kind: "stage", data: { stage: 3 } })
        yield* appendEvent(id, progressAt(1, 15))
        yield* appendEvent(id, progressAt(3, 15))
      }).pipe(Effect.orDie)
      const cli = yield* startCli(["status", String(id), "--follow"], env, { terminalColumns: 100 })
      yield* cli.waitForStdout(/round 3\/15/)
      yield* Effect.gen(function*() {
        yield* appendEvent(id, { kind: "stage", data: { stage: 4 } })
        yield* appendEvent(id, progressAt(15, 15))
        yield* transition(id, "REPORTING")
        yield* transition(id, "COMPLETED")
      }).pipe(Effect.orDie)
      const result = yield* cli.result
      assert.strictEqual(result.code, 0, result.stdout)
      assert.include(result.stdout, "\r\u001b[2K", "the bar is redrawn in place")
      const screen = visibleScreen(result.stdout)
      const bar = new RegExp(`^job ${id}: \\[█{20}\\] round 15/15  \\d+s elapsed  ETA 0s$`)
      // The run's last bar stays on screen, once, where the run ended.
      assert.deepStrictEqual(screen.map((line) => bar.test(line) ? "<bar>" : line), [
        `job ${id}: PENDING`,
        `job ${id}: PROVISIONING`,
        `job ${id}: RUNNING`,
        `job ${id}: running the simulation`,
        `job ${id}: preparing the artifacts`,
        "<bar>",
        `job ${id}: REPORTING`,
        `job ${id}: COMPLETED`,
        `job ${id} ended COMPLETED; GPU cost $0.00`
      ])
      for (const line of screen) assert.isBelow(Array.from(line).length, 100)
    }))

  it.effect("status --follow on a finished job prints its story and ends; a failed job exits non-zero with its error", () =>
    Effect.gen(function*() {
      const { env, id } = yield* userWithJob("latecomer")
      yield* Effect.gen(function*() {
        yield* transition(id, "PROVISIONING")
        yield* transition(id, "FAILED", { errorMessage: "no GPU available" })
      }).pipe(Effect.orDie)
      const result = yield* runCli(["status", String(id), "--follow"], env)
      assert.deepStrictEqual(lines(result.stdout), [
        `job ${id}: PENDING`,
        `job ${id}: PROVISIONING`,
        `job ${id}: FAILED (no GPU available)`,
        `job ${id} ended FAILED; GPU cost $0.00`
      ])
      assertOneLineError(result, `job ${id} ended FAILED: no GPU available`)
    }))

  it.effect("status --follow of another user's job fails like a missing one, in one line", () =>
    Effect.gen(function*() {
      const { id } = yield* userWithJob("owner")
      const other = yield* userWithJob("other")
      const result = yield* runCli(["status", String(id), "--follow"], other.env)
      assertOneLineError(result, `Job ${id} not found`)
      assert.strictEqual(result.stdout, "")
    }))

  it.effect("submit --wait follows the new job from its first change to the end", () =>
    Effect.gen(function*() {
      const { env, home } = yield* userWithJob("submitter")
      const seedFile = NodePath.join(home, "seed.txt")
      yield* Effect.promise(() => Fs.writeFile(seedFile, "The council votes on Tuesday.\n"))
      const cli = yield* startCli(["submit", seedFile, "--goal", `wait #${++counter}`, "--tier", "small", "--wait"], env)
      const id = Number((yield* cli.waitForStdout(/^job (\d+) submitted: PENDING$/m))[1]) as JobId
      // Whether the CLI's stream opens before or after these events, it prints the same lines (the stream replays
      // what it missed); the CANCELLED below comes after a printed line, so it always arrives live.
      yield* Effect.gen(function*() {
        yield* transition(id, "PROVISIONING")
        yield* transition(id, "RUNNING")
        yield* appendEvent(id, progressAt(1, 3))
        yield* appendEvent(id, progressAt(2, 3))
      }).pipe(Effect.orDie)
      yield* cli.waitForStdout(new RegExp(`^job ${id}: round 2/3$`, "m"))
      yield* transition(id, "CANCELLED", { errorMessage: "cancelled by its owner" }).pipe(Effect.orDie)
      const result = yield* cli.result
      assert.deepStrictEqual(lines(result.stdout), [
        `job ${id} submitted: PENDING`,
        `job ${id}: PROVISIONING`,
        `job ${id}: RUNNING`,
        `job ${id}: round 1/3`,
        `job ${id}: round 2/3`,
        `job ${id}: CANCELLED (cancelled by its owner)`,
        `job ${id} ended CANCELLED; GPU cost $0.00`
      ])
      assertOneLineError(result, `job ${id} ended CANCELLED: cancelled by its owner`)
    }))
})
