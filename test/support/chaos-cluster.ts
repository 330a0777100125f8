/**
 * The chaos run's services: one `serve --role api` and N `serve --role runner`, each in a slot that starts its
 * process again whenever it exits, until the run stops them. An exit
 * the run did not cause (a runner that could not reach Postgres while it restarted, a crash) is recorded.
 */
import * as NodePath from "node:path"
import { Duration, Effect, Fiber, Ref, Schedule } from "effect"
import { type ServiceProcess, spawnFishcloud, waitForOutput } from "./chaos-processes.ts"
import type { ChaosEvent } from "./chaos-report.ts"

export interface Slot {
  readonly name: string
  readonly role: "api" | "runner"
  readonly current: Ref.Ref<ServiceProcess | undefined>
  /** Set before the run signals the process, so its exit is not recorded as unexpected. */
  readonly signalled: Ref.Ref<boolean>
}

export interface ClusterOptions {
  readonly runners: number
  readonly env: Record<string, string>
  /** One log file per process start goes here. */
  readonly logs: string
  readonly record: (kind: ChaosEvent["kind"], detail: string) => Effect.Effect<void>
}

/** Starts the API, then the runners; returns once each one listens. The scope's end kills whatever still runs. */
export const startCluster = (options: ClusterOptions) =>
  Effect.gen(function*() {
    const stopping = yield* Ref.make(false)
    const starts = yield* Ref.make(0)
    const makeSlot = (name: string, role: Slot["role"]) =>
      Effect.all({ current: Ref.make<ServiceProcess | undefined>(undefined), signalled: Ref.make(false) }).pipe(
        Effect.map((refs): Slot => ({ name, role, ...refs }))
      )

    const supervise = (slot: Slot) =>
      Effect.gen(function*() {
        while (!(yield* Ref.get(stopping))) {
          const n = yield* Ref.updateAndGet(starts, (count) => count + 1)
          const logFile = NodePath.join(options.logs, `${String(n).padStart(3, "0")}-${slot.name}.log`)
          const process = yield* spawnFishcloud(["serve", "--role", slot.role], options.env, logFile)
          yield* Ref.set(slot.signalled, false)
          yield* Ref.set(slot.current, process)
          const what = `${slot.name} pid ${process.pid} (${NodePath.basename(logFile)})`
          yield* options.record(slot.role === "runner" ? "runner-start" : "note", what)
          const how = yield* process.exited
          if (!(yield* Ref.get(slot.signalled)) && !(yield* Ref.get(stopping))) {
            const tail = (yield* process.output).trim().split("\n").slice(-3).join(" | ").slice(0, 400)
            yield* options.record("unexpected-exit", `${slot.name} pid ${process.pid} ${how}: ${tail}`)
          }
          yield* Effect.sleep(Duration.millis(500))
        }
      }).pipe(
        // Interrupted (the end of the run, the scope closing, Ctrl-C): leave no service behind.
        Effect.ensuring(Effect.flatMap(Ref.get(slot.current), (process) =>
          process === undefined ? Effect.void : Effect.andThen(process.signal("SIGKILL"), process.exited)))
      )

    const ready = (slot: Slot, pattern: RegExp) =>
      Ref.get(slot.current).pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (process) => process !== undefined }),
        Effect.flatMap((process) => waitForOutput(process!, pattern, Duration.minutes(2)))
      )

    const api = yield* makeSlot("api", "api")
    const runners = yield* Effect.forEach(Array.from({ length: options.runners }, (_, i) => i + 1), (i) => makeSlot(`runner-${i}`, "runner"))
    // The API first: it writes the first-start token and the storage signing key that every process then shares.
    const supervisors = [yield* Effect.forkScoped(supervise(api))]
    yield* ready(api, /Listening on http/)
    supervisors.push(...yield* Effect.forEach(runners, (runner) => Effect.forkScoped(supervise(runner))))
    yield* Effect.forEach(runners, (runner) => ready(runner, /Listening on: /), { concurrency: "unbounded" })

    /** Sends `signal` to the slot's current process; the process it went to, if any. */
    const signal = (slot: Slot, signal: NodeJS.Signals) =>
      Effect.gen(function*() {
        const process = yield* Ref.get(slot.current)
        if (process === undefined) return undefined
        yield* Ref.set(slot.signalled, true)
        yield* process.signal(signal)
        return process
      })

    /**
     * No more restarts; SIGTERM to every service, SIGKILL to one still up 30 s later (or started by a slot in the
     * meantime), so nothing runs once this returns.
     */
    const stop = Effect.gen(function*() {
      yield* Ref.set(stopping, true)
      yield* Effect.forEach([api, ...runners], (slot) =>
        Effect.flatMap(signal(slot, "SIGTERM"), (process) =>
          process === undefined ? Effect.void : process.exited.pipe(
            Effect.timeoutOption(Duration.seconds(30)),
            Effect.flatMap((exited) => exited._tag === "Some" ? Effect.void : process.signal("SIGKILL"))
          )), { concurrency: "unbounded" })
      yield* Effect.forEach(supervisors, Fiber.interrupt)
    })

    return { api, runners, signal, stop }
  })
