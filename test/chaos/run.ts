/**
 * `npm run chaos [-- --jobs N --json out.json --seed S --scale X --runners R --deadline-minutes M]`: the chaos run
 * (`test/support/chaos-run.ts`) with the numbers: 100 jobs, 3 runners, a SIGKILL of a random runner every
 * 5 to 20 s, one SIGTERM, one Postgres restart (5 s down), a fault of its own per job, 2 % of object-store calls
 * failing. Prints progress, then the table; writes the report as JSON with
 * --json; exits 0 only when every invariant holds. Not part of `npm test`: it takes minutes and both cores.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Duration, Effect, Exit } from "effect"
import { renderChaosTable } from "../support/chaos-report.ts"
import { runChaos } from "../support/chaos-run.ts"

const usage = `usage: npm run chaos -- [--jobs N] [--json FILE] [--seed S] [--scale X] [--runners R] [--deadline-minutes M]
                        [--postgres-downtime S]
  --jobs N              jobs to submit (100)
  --json FILE           also write the report as JSON to FILE
  --seed S              seed of the run's random choices (default: from the clock; printed)
  --scale X             FISHCLOUD_TIME_SCALE of every process (0.05)
  --runners R           runner processes (3)
  --deadline-minutes M  give up waiting for the jobs after M minutes (30)
  --postgres-downtime S how long Postgres stays down in its restart, in seconds (5; 0 = no restart)`

interface Arguments {
  readonly jobs: number
  readonly json: string | undefined
  readonly seed: number
  readonly scale: number
  readonly runners: number
  readonly deadlineMinutes: number
  readonly postgresDowntime: number
}

const parseArguments = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const values = new Map<string, string>()
    for (let i = 0; i < argv.length; i += 2) {
      const name = argv[i]!
      const value = argv[i + 1]
      if (!name.startsWith("--") || value === undefined) return yield* Effect.fail(`bad arguments: ${argv.join(" ")}`)
      values.set(name.slice(2), value)
    }
    const known = new Set(["jobs", "json", "seed", "scale", "runners", "deadline-minutes", "postgres-downtime"])
    const unknown = [...values.keys()].filter((name) => !known.has(name))
    if (unknown.length > 0) return yield* Effect.fail(`unknown option --${unknown[0]}`)
    const number = (name: string, fallback: number, check: (value: number) => boolean) => {
      const text = values.get(name)
      const value = text === undefined ? fallback : Number(text)
      return check(value) ? Effect.succeed(value) : Effect.fail(`--${name}: bad value ${text}`)
    }
    return {
      jobs: yield* number("jobs", 100, (n) => Number.isInteger(n) && n >= 1),
      json: values.get("json"),
      seed: yield* number("seed", Date.now() % 1_000_000, Number.isInteger),
      scale: yield* number("scale", 0.05, (x) => x > 0 && x <= 1),
      runners: yield* number("runners", 3, (n) => Number.isInteger(n) && n >= 1),
      deadlineMinutes: yield* number("deadline-minutes", 30, (n) => n > 0),
      postgresDowntime: yield* number("postgres-downtime", 5, (n) => n >= 0)
    } satisfies Arguments
  })

const program = Effect.gen(function*() {
  const args = yield* parseArguments(process.argv.slice(2)).pipe(
    Effect.tapError((message) => Console.error(`${message}\n${usage}`))
  )
  const folder = yield* Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-chaos-")))
  const report = yield* runChaos({
    jobs: args.jobs,
    // One job in ten is medium: longer runs meet more kills.
    mediumEvery: 10,
    runners: args.runners,
    scale: args.scale,
    seed: args.seed,
    folder,
    killEvery: [5, 20],
    maxKills: Number.POSITIVE_INFINITY,
    sigtermOnce: true,
    // The reaper and the stale-job detector run every minute, during the chaos too.
    maintenanceEveryMinutes: 1,
    storeFaultRate: 0.02,
    restartPostgres: args.postgresDowntime > 0 ? Duration.seconds(args.postgresDowntime) : undefined,
    deadline: Duration.minutes(args.deadlineMinutes),
    say: Console.log
  }).pipe(Effect.scoped)
  yield* Console.log(`\n${renderChaosTable(report)}`)
  const broken = Object.entries(report.invariants).filter(([, found]) => found.length > 0)
  for (const [name, found] of broken) yield* Console.log(`\n${name}:\n${JSON.stringify(found, null, 2)}`)
  const json = JSON.stringify(report, null, 2)
  yield* Effect.promise(() => Fs.writeFile(NodePath.join(folder, "report.json"), json))
  if (args.json !== undefined) yield* Effect.promise(() => Fs.writeFile(args.json!, json))
  yield* Console.log(`\nreport: ${args.json ?? NodePath.join(folder, "report.json")}; logs: ${NodePath.join(folder, "logs")}`)
  // The database (tens of MB) is kept only when the run failed, for a closer look.
  if (report.passed) yield* Effect.promise(() => Fs.rm(NodePath.join(folder, "pg-home"), { recursive: true, force: true }))
  return report.passed
})

program.pipe(
  NodeRuntime.runMain({
    disableErrorReporting: false,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) && exit.value === true ? 0 : 1)
  })
)
