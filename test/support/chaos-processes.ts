/**
 * The chaos run's service processes: `fishcloud serve --role ...` (and `maintenance run`) as real processes, each
 * start writing to its own log file in the run's folder, so a failure can be traced to the process and the start
 * that saw it. Plain Node and Effect (no vitest), since `npm run chaos` runs outside the test runner.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as FsPromises from "node:fs/promises"
import * as NodePath from "node:path"
import { Duration, Effect, Schedule } from "effect"

const root = NodePath.resolve(import.meta.dirname, "../..")
const mainPath = NodePath.join(root, "src/main.ts")

/** Settings a chaos process never inherits from the shell that started the run: each start names what it needs. */
const inheritedOut = /^(FISHCLOUD_|FAKE_POD_|DATABASE_URL$|TEST_DATABASE_URL$|HOST$|PORT$|DEMO_MODE$|POD_PROVIDER$|MAINTENANCE_)/

const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = { NO_COLOR: "1" }
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !inheritedOut.test(name)) env[name] = value
  }
  return env
}

export interface ServiceProcess {
  readonly pid: number
  readonly logFile: string
  /** Resolves when the process has exited: its exit code, or the signal that ended it. */
  readonly exited: Effect.Effect<string>
  readonly signal: (signal: NodeJS.Signals) => Effect.Effect<void>
  /** What the process wrote so far. */
  readonly output: Effect.Effect<string>
}

/**
 * Starts `fishcloud <args>` with its stdout and stderr appended to `logFile`; `nodeFlags` go to Node (those Node
 * refuses in NODE_OPTIONS, such as `--trace-gc`). The caller stops it.
 */
export const spawnFishcloud = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  logFile: string,
  nodeFlags: ReadonlyArray<string> = []
) =>
  Effect.sync((): ServiceProcess => {
    const fd = Fs.openSync(logFile, "a")
    const child = ChildProcess.spawn(process.execPath, [...nodeFlags, mainPath, ...args], {
      cwd: root,
      env: { ...baseEnv(), ...env },
      stdio: ["ignore", fd, fd]
    })
    Fs.closeSync(fd)
    const exit = new Promise<string>((resolve) => {
      child.once("exit", (code, signal) => resolve(signal ?? `exit ${code}`))
    })
    return {
      pid: child.pid ?? 0,
      logFile,
      exited: Effect.promise(() => exit),
      signal: (signal) => Effect.sync(() => void (child.exitCode === null && child.signalCode === null && child.kill(signal))),
      output: Effect.promise(() => FsPromises.readFile(logFile, "utf8").catch(() => ""))
    }
  })

/** Waits until the process's log matches `pattern`; dies with the log's tail when it exits first or after `within`. */
export const waitForOutput = (process: ServiceProcess, pattern: RegExp, within: Duration.Duration) =>
  Effect.gen(function*() {
    const outcome = yield* Effect.raceFirst(
      process.output.pipe(
        Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (text) => pattern.test(text) }),
        Effect.as("ready" as const)
      ),
      Effect.map(process.exited, (how) => `exited (${how})`)
    ).pipe(Effect.timeoutOption(within))
    if (outcome._tag === "Some" && outcome.value === "ready") return
    const tail = (yield* process.output).split("\n").slice(-30).join("\n")
    const why = outcome._tag === "None" ? `not ready after ${Duration.format(within)}` : outcome.value
    return yield* Effect.die(new Error(`${process.logFile}: ${why}, waiting for ${pattern}:\n${tail}`))
  })

/** Runs `fishcloud <args>` to its end; its output (stdout and stderr, interleaved) and how it ended. */
export const runFishcloud = (args: ReadonlyArray<string>, env: Record<string, string>, logFile: string) =>
  Effect.gen(function*() {
    const process = yield* spawnFishcloud(args, env, logFile)
    const how = yield* process.exited
    return { how, output: yield* process.output }
  })
