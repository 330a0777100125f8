/**
 * Runs the `fishcloud` CLI as a real process (`node src/main.ts ...`), the way a user does, and
 * collects what it prints. The environment starts clean of fishcloud settings: each call names what it needs.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert } from "@effect/vitest"
import { Duration, Effect, Schedule } from "effect"

const root = NodePath.resolve(import.meta.dirname, "../..")
const mainPath = NodePath.join(root, "src/main.ts")
const binPath = NodePath.join(root, "bin/fishcloud.mjs")

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

interface RunningCli {
  /** What the process printed on stdout so far. */
  readonly stdout: Effect.Effect<string>
  /** Waits (up to 20 s) until stdout matches, and returns the match. */
  readonly waitForStdout: (pattern: RegExp) => Effect.Effect<RegExpMatchArray>
  /** Waits for the process to exit. */
  readonly result: Effect.Effect<CliResult>
  /** Sends a signal (as Ctrl-C or a process manager would). */
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

/** Settings a test never inherits from the machine running it. */
const inheritedOut = /^(FISHCLOUD_|DATABASE_URL$|TEST_DATABASE_URL$|HOST$|PORT$|DEMO_MODE$)/

const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = { NO_COLOR: "1" }
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !inheritedOut.test(name)) env[name] = value
  }
  return env
}

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`

export interface CliOptions {
  readonly entry?: "main" | "bin"
  /**
   * Runs the CLI on a pseudo-terminal of that many columns (util-linux `script`), as a user's terminal would: stdout
   * is a TTY, and what it prints arrives with the terminal's line endings (`\r\n`).
   */
  readonly terminalColumns?: number
}

/** Starts the CLI; the process is killed when the scope closes if it is still running. */
export const startCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  options: CliOptions = {}
) =>
  Effect.gen(function*() {
    const command = [process.execPath, options.entry === "bin" ? binPath : mainPath, ...args]
    const [file, argv] = options.terminalColumns === undefined
      ? [command[0]!, command.slice(1)]
      : ["script", ["-q", "-e", "-c", `stty cols ${options.terminalColumns} && exec ${command.map(shellQuote).join(" ")}`, "/dev/null"]]
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        ChildProcess.spawn(file, argv, {
          cwd: root,
          env: { ...baseEnv(), ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
    )
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const exited = new Promise<CliResult>((resolve) => {
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
    const readStdout = Effect.sync(() => stdout)
    const running: RunningCli = {
      stdout: readStdout,
      waitForStdout: (pattern) =>
        readStdout.pipe(
          Effect.map((text) => text.match(pattern)),
          Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (match) => match !== null }),
          // Generous: on a busy 2-core machine (load 10 to 20) a CLI process took over 20 s to print its first line.
          // Only a failing wait lasts this long.
          Effect.timeout(Duration.seconds(60)),
          Effect.flatMap((match) => match === null ? Effect.die(`no ${pattern} in stdout`) : Effect.succeed(match)),
          Effect.catchTag("TimeoutError", () =>
            Effect.die(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`))
        ),
      result: Effect.promise(() => exited),
      kill: (signal) => Effect.sync(() => void child.kill(signal))
    }
    return running
  })

/** Runs the CLI to its end. */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>, options?: CliOptions) =>
  Effect.scoped(Effect.flatMap(startCli(args, env, options), (cli) => cli.result))

/** Asserts the CLI failed the way a user should see it: exit code != 0, one line on stderr containing `text`. */
export const assertOneLineError = (result: CliResult, text: string) => {
  assert.notStrictEqual(result.code, 0, `expected a failure; stdout: ${result.stdout}`)
  const lines = result.stderr.trimEnd().split("\n")
  assert.strictEqual(lines.length, 1, `expected one line on stderr, got: ${result.stderr}`)
  assert.include(lines[0], text)
  assert.notInclude(result.stderr, "    at ", "no stack trace")
  return lines[0]!
}

/** A fresh empty directory to use as FISHCLOUD_HOME, removed when the scope closes. */
export const scopedHome = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-cli-home-"))),
  (home) => Effect.promise(() => Fs.rm(home, { recursive: true, force: true }))
)

/** A loopback port nothing listens on (bound, then released). */
export const closedPort = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
)

/** The first-start token a service writes to `$FISHCLOUD_HOME/token`, once it is there (waits up to 60 s). */
export { firstStartToken } from "./first-start-token.ts"

/** JSON calls to a running service as the user of `token`: `{ status, json }` (json is {} for an empty body). */
export const apiCaller = (port: string, token: string) => (method: string, path: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    return { status: response.status, json: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown> }
  })

const finished = ["COMPLETED", "FAILED", "CANCELLED"]

/** Polls `GET /api/jobs/:id` until the job is terminal; dies after `seconds`. */
export const untilJobFinished = (call: ReturnType<typeof apiCaller>, id: number, seconds = 90) =>
  call("GET", `/api/jobs/${id}`).pipe(
    Effect.map((reply) => reply.json),
    Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (job) => finished.includes(String(job["status"])) }),
    Effect.timeout(Duration.seconds(seconds)),
    Effect.orDie
  )
