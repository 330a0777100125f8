/**
 * `npm run bench [-- --quick] [-- --out FOLDER] [-- --capacity 1000,2500,5000] [-- --only lifecycle,recovery,cancel,capacity,api]
 * [-- --cpu-prof]`: the lifecycle's cost per job, side by side with the floor, the raw durable engine running executions of as many no-op activities as a fishcloud job runs, in the same run, on
 * the same (embedded) Postgres, each in a database of its own:
 *   - one job at a time: seconds from creation to the end, p50 and p99;
 *   - 20 and then 50 jobs in flight: jobs per second;
 *   - CPU seconds, database row writes and transactions (round trips) per job;
 * then recovery: the only runner killed with SIGKILL while jobs run and started again; how long until it answers and
 * until every job polls its pod again; failover: one of two runners killed, how long its jobs take to poll again on the
 * survivor; cancel → pod terminated and the GPU seconds billed after a job's last useful second (`cancel-bench.ts`);
 * then in-flight capacity (`capacity-bench.ts`; 1,000 jobs unless --capacity
 * says otherwise, none with --quick).
 * Then the API under fixed request rates with 100,000 jobs stored (`api-bench.ts`; 1,000 with --quick), the reads
 * beside their floor (`api-floor.ts`: bare node:http and the same driver).
 * `--only` runs some of the scenarios; `--cpu-prof` profiles the lifecycle and API scenarios' services and prints where
 * their CPU went (`cpu-profile.ts`).
 * Prints one table; writes `<out>/<date>.json` and, unless --quick, `BENCHMARKS.md` (the machine, the versions and
 * the table). `--quick` runs a few jobs only: `test/process/bench-smoke.test.ts` uses it to prove the bench works
 * (no figure is asserted). Not part of `npm test` otherwise: it takes minutes and both cores.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Duration, Effect, Schema } from "effect"
import { fakeTimings } from "../../layers/pods/fake/fake-pod-timeline.ts"
import { chaosPostgres } from "../support/chaos-postgres.ts"
import { type ApiResult, benchApi } from "./api-bench.ts"
import { benchCancel, type CancelResult } from "./cancel-bench.ts"
import { benchCapacity, type CapacityResult } from "./capacity-bench.ts"
import { renderProfile } from "./cpu-profile.ts"
import { benchFishcloud, type Phase, type PhaseResult } from "./lifecycle-bench.ts"
import { onDatabase, percentile } from "./measure.ts"
import { benchFailover, benchRecovery, type FailoverResult, type RecoveryResult } from "./recovery-bench.ts"

const root = NodePath.resolve(import.meta.dirname, "../..")

/** The smallest time scale the fake pod and the lifecycle's waits run correctly at (see BENCHMARKS.md). */
const timeScale = 0.001
/**
 * What the fake pod itself takes of a small job (15 rounds) at `timeScale`: start, model, two stages, the rounds and
 * the last stage. The rest of a job's seconds is the lifecycle's.
 */
const fakePodSeconds = (fakeTimings.readyAfter + fakeTimings.vllmReadyAfter + 3 * fakeTimings.stage + 15 * fakeTimings.round) * timeScale

/** Recovery needs jobs that still run after a restart: medium jobs (100 rounds) last about 30 s at this scale. */
const recoveryScale = 0.01

/** Cancel and GPU waste: small jobs last about 30 s at this scale, polled every 0.5 s. */
const cancelScale = 0.05

const fullPhases: ReadonlyArray<Phase> = [{ jobs: 20, inFlight: 1 }, { jobs: 100, inFlight: 20 }, { jobs: 150, inFlight: 50 }]
const quickPhases: ReadonlyArray<Phase> = [{ jobs: 2, inFlight: 1 }, { jobs: 4, inFlight: 2 }, { jobs: 4, inFlight: 4 }]

const PhaseResultSchema = Schema.Struct({
  phase: Schema.Struct({ jobs: Schema.Int, inFlight: Schema.Int }),
  wallSeconds: Schema.Number,
  seconds: Schema.Array(Schema.Number),
  cpuSeconds: Schema.Number,
  writes: Schema.Array(Schema.Tuple([Schema.String, Schema.Number])),
  transactions: Schema.Number,
  failed: Schema.Array(Schema.String)
})
const decodeLine = Schema.decodeUnknownEffect(Schema.fromJsonString(PhaseResultSchema))

/** Runs the floor (`raw-engine.ts`) as its own process, as the service is one. */
const benchRawEngine = (url: string, activities: number, phases: ReadonlyArray<Phase>) =>
  Effect.gen(function*() {
    const output = yield* Effect.promise(() =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = ChildProcess.spawn(
          process.execPath,
          [NodePath.join(root, "test/bench/raw-engine.ts"), url, String(activities), JSON.stringify(phases)],
          { cwd: root, stdio: ["ignore", "pipe", "pipe"] }
        )
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => stdout += String(chunk))
        child.stderr.on("data", (chunk) => stderr += String(chunk))
        child.once("exit", (code) => resolve({ code, stdout, stderr }))
      }))
    if (output.code !== 0) return yield* Effect.die(new Error(`raw engine exited ${output.code}:\n${output.stderr.slice(-3000)}`))
    const lines = output.stdout.split("\n").filter((line) => line.startsWith("{"))
    return yield* Effect.forEach(lines, (line) => Effect.orDie(decodeLine(line)))
  })

const sum = (writes: PhaseResult["writes"]) => writes.reduce((total, [, n]) => total + n, 0)
const jobsOf = (results: ReadonlyArray<PhaseResult>) => results.reduce((total, result) => total + result.phase.jobs, 0)
const round = (value: number, digits = 1) => Number.isFinite(value) ? Number(value.toFixed(digits)) : null

/** The figures compared, fishcloud's beside the floor's. */
const figures = (fishcloud: ReadonlyArray<PhaseResult>, raw: ReadonlyArray<PhaseResult>) => {
  const [oneFc, twentyFc, fiftyFc] = fishcloud
  const [oneRaw, twentyRaw, fiftyRaw] = raw
  const perJob = (results: ReadonlyArray<PhaseResult>, of: (result: PhaseResult) => number) =>
    results.reduce((total, result) => total + of(result), 0) / Math.max(1, jobsOf(results))
  const row = (figure: string, unit: string, a: number, b: number, digits = 1) => ({
    figure,
    unit,
    fishcloud: round(a, digits),
    raw_engine: round(b, digits),
    ratio: round(a / b, 2)
  })
  return [
    row("one job at a time, p50", "ms", percentile(oneFc!.seconds, 50) * 1000, percentile(oneRaw!.seconds, 50) * 1000, 0),
    row("one job at a time, p99", "ms", percentile(oneFc!.seconds, 99) * 1000, percentile(oneRaw!.seconds, 99) * 1000, 0),
    row(`jobs/s, ${twentyFc!.phase.inFlight} in flight`, "jobs/s", twentyFc!.phase.jobs / twentyFc!.wallSeconds, twentyRaw!.phase.jobs / twentyRaw!.wallSeconds),
    row(`jobs/s, ${fiftyFc!.phase.inFlight} in flight`, "jobs/s", fiftyFc!.phase.jobs / fiftyFc!.wallSeconds, fiftyRaw!.phase.jobs / fiftyRaw!.wallSeconds),
    row("CPU per job", "ms", perJob(fishcloud, (r) => r.cpuSeconds) * 1000, perJob(raw, (r) => r.cpuSeconds) * 1000, 0),
    row("Postgres row writes per job", "rows", perJob(fishcloud, (r) => sum(r.writes)), perJob(raw, (r) => sum(r.writes))),
    row("Postgres transactions per job", "", perJob(fishcloud, (r) => r.transactions), perJob(raw, (r) => r.transactions))
  ]
}

const renderRecovery = (recovery: RecoveryResult) =>
  [
    `| recovery: kill -9 of the only runner with ${recovery.jobs} jobs running, restarted at once | seconds |`,
    "|---|---|",
    `| the new process answers HTTP | ${round(recovery.restartSeconds)} |`,
    `| every job polls its pod again: p50 / max | ${round(percentile(recovery.seconds, 50))} / ${round(percentile(recovery.seconds, 100))} |`,
    `| jobs not polled again within 90 s | ${recovery.stalled} |`
  ].join("\n")

const renderFailover = (failover: FailoverResult) => {
  const moved = failover.seconds.filter((s) => s > 2)
  return [
    `| failover: kill -9 of one of two runners, ${failover.jobs} jobs running, not restarted | |`,
    "|---|---|",
    `| jobs the killed runner drove (no poll for 2 s after the kill) | ${failover.moved} |`,
    `| those jobs poll their pod again on the survivor: p50 / max | ${round(percentile(moved, 50))} / ${round(percentile(moved, 100))} s |`,
    `| jobs not polled again within 90 s | ${failover.stalled} |`
  ].join("\n")
}

const renderCancel = (cancel: CancelResult) =>
  [
    `| cancel and GPU waste: ${cancel.jobs} small jobs running, half cancelled (status poll every ${round(cancel.pollSeconds)} s at this scale) | p50 / max |`,
    "|---|---|",
    `| cancel request → pod terminated (${cancel.cancelToTerminated.length} jobs) | ${round(percentile(cancel.cancelToTerminated, 50))} / ${round(percentile(cancel.cancelToTerminated, 100))} s |`,
    `| completed job: pod-seconds billed after the simulation finished (${cancel.wasteAfterFinish.length} jobs) | ${round(percentile(cancel.wasteAfterFinish, 50))} / ${round(percentile(cancel.wasteAfterFinish, 100))} s |`,
    `| pods still up at the end | ${cancel.podsLeftUp} |`
  ].join("\n")

const renderCapacity = (results: ReadonlyArray<CapacityResult>) =>
  [
    "| large jobs in flight, one runner | ramp until all RUNNING | creates refused (503, retried) | CPU, share of one core | RSS | heap after a full GC (RSS then) | GET /api/jobs/:id p50 / p99 | GET errors | pods created twice | SIGTERM to exit |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...results.map((r) =>
      `| ${r.jobs} | ${r.rampSeconds === null ? `not within the wait (${JSON.stringify(r.statusesAfterRamp)})` : `${round(r.rampSeconds)} s`} | ${r.createsRefused} | ` +
      `${Math.round(r.cpuShareOfOneCore * 100)} % | ${r.rssMb} MB | ${r.heapAfterGcMb} MB (${r.rssAfterGcMb} MB) | ${round(r.getP50Ms)} / ${round(r.getP99Ms)} ms | ${r.getErrors} | ` +
      `${r.podsCreatedTwice} | ${round(r.sigtermSeconds)} s |`)
  ].join("\n")

const renderApi = (api: ApiResult) =>
  [
    `| the API on loopback, ${api.stored} jobs stored | rate | p50 / p99 | answered | errors / non-2xx | by status | service CPU per request | floor: p50 / p99, CPU per request |`,
    "|---|---|---|---|---|---|---|---|",
    ...api.endpoints.map((e) =>
      `| ${e.endpoint} | ${e.rate} req/s | ${round(e.p50Ms)} / ${round(e.p99Ms)} ms | ${round(e.answeredPerSecond)} req/s | ${e.errors} / ${e.non2xx} | ` +
      `${Object.entries(e.statusCodes).map(([code, count]) => `${code}: ${count}`).join(", ")} | ${round(e.cpuMsPerRequest, 2)} ms | ` +
      `${e.floor === undefined ? "-" : `${round(e.floor.p50Ms)} / ${round(e.floor.p99Ms)} ms, ${round(e.floor.cpuMsPerRequest, 2)} ms`} |`),
    `| GET /api/jobs/:id/events, ${api.events.streams} clients at once (event written → read; the stream polls every second) | ` +
    `${api.events.streams} events/s | ${round(api.events.p50Ms)} / ${round(api.events.p99Ms)} ms | ` +
    `${api.events.delivered} of ${api.events.written} events | - | - | - | - |`
  ].join("\n")

const renderTable = (rows: ReturnType<typeof figures>) =>
  [
    "| figure | fishcloud | raw engine, same activities | ratio |",
    "|---|---|---|---|",
    ...rows.map((row) => `| ${row.figure} | ${row.fishcloud ?? "-"} ${row.unit} | ${row.raw_engine ?? "-"} ${row.unit} | ${row.ratio ?? "-"}x |`)
  ].join("\n")

/** Rows written per job, per table, for fishcloud (over all phases): where the writes go. */
const writesPerTable = (results: ReadonlyArray<PhaseResult>) => {
  const totals = new Map<string, number>()
  for (const result of results) for (const [table, n] of result.writes) totals.set(table, (totals.get(table) ?? 0) + n)
  const jobs = Math.max(1, jobsOf(results))
  return [...totals].sort((a, b) => b[1] - a[1]).map(([table, n]) => `${table} ${round(n / jobs)}`).join(", ")
}

type Scenario = "lifecycle" | "recovery" | "cancel" | "capacity" | "api"
const scenarios: ReadonlyArray<Scenario> = ["lifecycle", "recovery", "cancel", "capacity", "api"]

const bench = (
  folder: string,
  quick: boolean,
  out: string,
  capacities: ReadonlyArray<number>,
  only: ReadonlySet<Scenario>,
  cpuProfile: boolean
) => Effect.gen(function*() {
  const whole = only.size === scenarios.length
  const phases = quick ? quickPhases : fullPhases
  const postgres = yield* chaosPostgres(NodePath.join(folder, "pg-home"))
  const database = (name: string) => postgres.url.replace(/\/postgres$/, `/${name}`)
  yield* onDatabase(postgres.url, (sql) =>
    Effect.forEach(["bench_fishcloud", "bench_raw", "bench_recovery", "bench_failover", "bench_cancel", "bench_api", ...capacities.map((n) => `bench_capacity_${n}`)], (name) =>
      sql.unsafe(`CREATE DATABASE ${name}`)))
  const postgresVersion = yield* onDatabase(postgres.url, (sql) => Effect.map(sql<{ v: string }>`SELECT current_setting('server_version') AS v`, (rows) => rows[0]?.v ?? "?"))

  const lifecycle = only.has("lifecycle")
    ? yield* Effect.gen(function*() {
      yield* Console.log(`bench: fishcloud (time scale ${timeScale}), phases ${JSON.stringify(phases)}`)
      const fishcloud = yield* benchFishcloud({ url: database("bench_fishcloud"), folder, scale: timeScale, phases, cpuProfile })
      yield* Console.log(`bench: the raw engine, ${fishcloud.activitiesPerJob} no-op activities per execution`)
      const raw = yield* benchRawEngine(database("bench_raw"), fishcloud.activitiesPerJob, phases)
      return { fishcloud, raw }
    })
    : undefined
  const recoveryJobs = quick ? 5 : 200
  const recovery = only.has("recovery")
    ? yield* Console.log(`bench: recovery, ${recoveryJobs} jobs (time scale ${recoveryScale})`).pipe(
      Effect.andThen(benchRecovery({ url: database("bench_recovery"), folder, scale: recoveryScale, jobs: recoveryJobs }))
    )
    : undefined
  const failoverJobs = quick ? 4 : 100
  const failover = only.has("recovery")
    ? yield* Console.log(`bench: failover, ${failoverJobs} jobs on two runners (time scale ${recoveryScale})`).pipe(
      Effect.andThen(benchFailover({ url: database("bench_failover"), folder, scale: recoveryScale, jobs: failoverJobs }))
    )
    : undefined

  const cancelJobs = quick ? 4 : 40
  const cancel = only.has("cancel")
    ? yield* Console.log(`bench: cancel and GPU waste, ${cancelJobs} jobs (time scale ${cancelScale})`).pipe(
      Effect.andThen(benchCancel({ url: database("bench_cancel"), folder, scale: cancelScale, jobs: cancelJobs }))
    )
    : undefined

  const capacity: Array<CapacityResult> = []
  for (const jobs of only.has("capacity") ? capacities : []) {
    yield* Console.log(`bench: capacity, ${jobs} large jobs in flight (time scale 1)`)
    capacity.push(yield* benchCapacity({ url: database(`bench_capacity_${jobs}`), folder, jobs, rampLimit: Duration.minutes(15) }))
  }

  const storedJobs = quick ? 1000 : 100_000
  const api = only.has("api")
    ? yield* Console.log(`bench: the API with ${storedJobs} jobs stored`).pipe(
      Effect.andThen(benchApi({ url: database("bench_api"), folder, stored: storedJobs, seconds: quick ? 2 : 10, rateScale: quick ? 0.05 : 1, streams: quick ? 5 : 500, cpuProfile }))
    )
    : undefined

  const rows = lifecycle === undefined ? [] : figures(lifecycle.fishcloud.results, lifecycle.raw)
  const table = [
    ...(lifecycle === undefined ? [] : [renderTable(rows)]),
    ...(recovery === undefined ? [] : [renderRecovery(recovery)]),
    ...(failover === undefined ? [] : [renderFailover(failover)]),
    ...(cancel === undefined ? [] : [renderCancel(cancel)]),
    ...(capacity.length === 0 ? [] : [renderCapacity(capacity)]),
    ...(api === undefined ? [] : [renderApi(api)])
  ].join("\n\n")
  const failed = lifecycle?.fishcloud.results.flatMap((result) => result.failed) ?? []
  const writesByTable = lifecycle === undefined ? "" : writesPerTable(lifecycle.fishcloud.results)
  const packageJson = JSON.parse(yield* Effect.promise(() => Fs.readFile(NodePath.join(root, "node_modules/effect/package.json"), "utf8"))) as { version: string }
  const machine = {
    cpu: Os.cpus()[0]?.model ?? "?",
    cores: Os.cpus().length,
    memory_gb: Math.round(Os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: postgresVersion,
    effect: packageJson.version
  }
  const date = new Date().toISOString()
  const report = {
    date,
    quick,
    machine,
    time_scale: timeScale,
    fake_pod_ms_per_job: Math.round(fakePodSeconds * 1000),
    activities_per_job: lifecycle?.fishcloud.activitiesPerJob,
    figures: rows,
    fishcloud_writes_per_job_by_table: writesByTable,
    failed_jobs: failed,
    recovery: recovery && {
      jobs: recovery.jobs,
      restart_seconds: round(recovery.restartSeconds),
      polls_again_p50_seconds: round(percentile(recovery.seconds, 50)),
      polls_again_max_seconds: round(percentile(recovery.seconds, 100)),
      stalled: recovery.stalled
    },
    failover: failover && {
      jobs: failover.jobs,
      moved: failover.moved,
      polls_again_max_seconds: round(percentile(failover.seconds, 100)),
      stalled: failover.stalled
    },
    cancel: cancel && {
      jobs: cancel.jobs,
      poll_seconds: cancel.pollSeconds,
      cancel_to_terminated_p50_seconds: round(percentile(cancel.cancelToTerminated, 50)),
      cancel_to_terminated_max_seconds: round(percentile(cancel.cancelToTerminated, 100)),
      waste_after_finish_p50_seconds: round(percentile(cancel.wasteAfterFinish, 50)),
      waste_after_finish_max_seconds: round(percentile(cancel.wasteAfterFinish, 100)),
      pods_left_up: cancel.podsLeftUp
    },
    capacity,
    api,
    phases: lifecycle && { fishcloud: lifecycle.fishcloud.results, raw_engine: lifecycle.raw },
    cpu_profile: lifecycle?.fishcloud.profile
  }
  yield* Console.log(`\n${table}\n`)
  if (lifecycle !== undefined) {
    if (lifecycle.fishcloud.profile !== undefined) yield* Console.log(`The lifecycle's service, ${renderProfile(lifecycle.fishcloud.profile)}\n`)
    yield* Console.log(`(of a fishcloud job's seconds, the fake pod itself takes about ${Math.round(fakePodSeconds * 1000)} ms)\nfishcloud's row writes per job, by table: ${writesByTable}`)
  }
  if (api?.profile !== undefined) yield* Console.log(`The API's service, ${renderProfile(api.profile)}\n`)
  yield* Console.log(failed.length === 0 ? "every job COMPLETED" : `${failed.length} job(s) did not complete:\n${failed.join("\n")}`)

  yield* Effect.promise(async () => {
    await Fs.mkdir(out, { recursive: true })
    const suffix = `${quick ? "-quick" : ""}${whole ? "" : `-${[...only].join("-")}`}`
    await Fs.writeFile(NodePath.join(out, `${date.slice(0, 10)}${suffix}.json`), JSON.stringify(report, null, 2) + "\n")
    if (!quick && whole && lifecycle !== undefined && recovery !== undefined && api !== undefined) {
      await Fs.writeFile(NodePath.join(root, "BENCHMARKS.md"), [
        "# Benchmarks",
        "",
        `\`npm run bench\`, ${date.slice(0, 10)}, on ${machine.cores} × ${machine.cpu}, ${machine.memory_gb} GB; Node ${machine.node},`,
        `Postgres ${machine.postgres} (embedded, on the same machine), effect ${machine.effect}. Rehearsal mode (the fake provider)`,
        `at FISHCLOUD_TIME_SCALE=${timeScale}; the raw engine runs workflows of ${lifecycle.fishcloud.activitiesPerJob} no-op activities (as many`,
        "as a fishcloud job, simulation and report workflows together) on the same engine settings, in a database of its own.",
        "A job's seconds run from its row's creation to its terminal status (database timestamps); of them, the fake pod",
        `itself takes about ${Math.round(fakePodSeconds * 1000)} ms (start, model, stages and 15 rounds at this scale).`,
        "",
        table,
        "",
        `fishcloud's row writes per job, by table: ${writesByTable}.`,
        "",
        failed.length === 0 ? "Every job completed." : `${failed.length} job(s) did not complete.`,
        ""
      ].join("\n"))
    }
  })
  yield* Console.log(`\nwrote ${out}${quick || !whole ? "" : " and BENCHMARKS.md"}; logs in ${folder}`)
}).pipe(Effect.scoped)

const main = Effect.gen(function*() {
  const argv = process.argv.slice(2)
  const outIndex = argv.indexOf("--out")
  const out = outIndex >= 0 ? argv[outIndex + 1]! : NodePath.join(root, "bench/results")
  const folder = yield* Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-bench-")))
  // The postgres user (Postgres refuses to run as root) must be able to enter the database's folder.
  yield* Effect.promise(() => Fs.chmod(folder, 0o755))
  const quick = argv.includes("--quick")
  const capacityIndex = argv.indexOf("--capacity")
  // In-flight capacity takes minutes per size (jobs at time scale 1 need a minute to run): 1,000 by default.
  const capacities = capacityIndex >= 0
    ? (argv[capacityIndex + 1] ?? "").split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0)
    : quick ? [] : [1000]
  const onlyIndex = argv.indexOf("--only")
  const only = new Set(onlyIndex >= 0 ? scenarios.filter((name) => (argv[onlyIndex + 1] ?? "").split(",").includes(name)) : scenarios)
  yield* bench(folder, quick, out, capacities, only, argv.includes("--cpu-prof"))
  // The database is only scaffolding; the service's log stays for a look.
  yield* Effect.promise(() => Fs.rm(NodePath.join(folder, "pg-home"), { recursive: true, force: true }))
})

NodeRuntime.runMain(main)
