/** The job commands of the CLI (`submit`, `status`, `list`, `cancel`, `report`) as processes against the service. */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import type { JobId } from "../../src/domain/ids.ts"
import { appendEvent, transition } from "../support/journal.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { assertOneLineError, runCli, scopedHome, startCli } from "../support/cli-process.ts"

let counter = 0
const uniqueGoal = (text: string) => `${text} #${++counter}`

/** A user with a token, an empty FISHCLOUD_HOME holding a seed file, and the env that points the CLI at the service. */
const cliUser = (name: string) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const token = yield* service.tokenFor(name)
    const home = yield* scopedHome
    const seedFile = NodePath.join(home, "seed.txt")
    yield* Effect.promise(() => Fs.writeFile(seedFile, "The city council votes on the new tram line on Tuesday.\n"))
    const env = {
      FISHCLOUD_URL: service.baseUrl,
      FISHCLOUD_TOKEN: token,
      FISHCLOUD_HOME: home,
      FISHCLOUD_WAIT_INTERVAL: "200 millis"
    }
    return { service, token, home, seedFile, env }
  })

const submittedId = (stdout: string) => {
  const match = stdout.match(/^job (\d+) submitted: PENDING$/m)
  assert.isNotNull(match, `no job id in: ${stdout}`)
  return Number(match![1])
}

const setStatus = (id: number, status: string, extra: { readonly stage?: number; readonly report?: string } = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE simulation_jobs SET status = ${status}, pipeline_stage = ${extra.stage ?? null},
      result_report = ${extra.report ?? null}, updated_at = now() WHERE id = ${id}`
  }).pipe(Effect.orDie)

layer(TestServiceLive(), { excludeTestServices: true })("fishcloud CLI: jobs", (it) => {
  it.effect("submit prints the new job's id and status; the job exists with what was asked", () =>
    Effect.gen(function*() {
      const { service, token, seedFile, env } = yield* cliUser("submitter")
      const goal = uniqueGoal("Will the tram line be approved?")
      const result = yield* runCli(
        ["submit", seedFile, "--goal", goal, "--tier", "medium", "--forecast-days", "7", "--no-enrich"],
        env
      )
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stderr, "")
      const id = submittedId(result.stdout)
      const reply = yield* service.call("GET", `/api/jobs/${id}`, { token })
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.goal, goal)
      assert.strictEqual(reply.json.tier, "medium")
      assert.strictEqual(reply.json.forecast_days, 7)
      assert.strictEqual(reply.json.enrich_web, false)
      assert.strictEqual(reply.json.seed_text, "The city council votes on the new tram line on Tuesday.\n")
    }))

  it.effect("submit with a missing or empty seed file says so in one line and creates nothing", () =>
    Effect.gen(function*() {
      const { service, token, home, env } = yield* cliUser("forgetful")
      const missing = NodePath.join(home, "nope.txt")
      const empty = NodePath.join(home, "empty.txt")
      yield* Effect.promise(() => Fs.writeFile(empty, " \n"))
      const [noFile, emptyFile] = yield* Effect.all([
        runCli(["submit", missing, "--goal", uniqueGoal("g"), "--tier", "small"], env),
        runCli(["submit", empty, "--goal", uniqueGoal("g"), "--tier", "small"], env)
      ], { concurrency: "unbounded" })
      assertOneLineError(noFile, `cannot read seed file ${missing}: no such file`)
      assert.strictEqual(noFile.stdout, "")
      assertOneLineError(emptyFile, `seed file ${empty} is empty`)
      const list = yield* service.call("GET", "/api/jobs", { token })
      assert.strictEqual(list.json.total, 0)
    }))

  it.effect("status shows the job; list shows a table of your jobs with paging", () =>
    Effect.gen(function*() {
      const { seedFile, env } = yield* cliUser("reader")
      const goals = [uniqueGoal("first question"), uniqueGoal("second question")] as const
      const ids: Array<number> = []
      for (const goal of goals) {
        const submitted = yield* runCli(["submit", seedFile, "--goal", goal, "--tier", "small"], env)
        ids.push(submittedId(submitted.stdout))
      }
      const [status, list, page2] = yield* Effect.all([
        runCli(["status", String(ids[0])], env),
        runCli(["list"], env),
        runCli(["list", "--page", "2", "--per-page", "1"], env)
      ], { concurrency: "unbounded" })

      assert.strictEqual(status.code, 0, status.stderr)
      assert.match(status.stdout, new RegExp(`^id\\s+${ids[0]}$`, "m"))
      assert.match(status.stdout, /^status\s+PENDING$/m)
      assert.match(status.stdout, /^tier\s+small$/m)
      assert.include(status.stdout, goals[0])
      assert.match(status.stdout, /^created\s+\d{4}-\d\d-\d\dT/m)
      assert.match(status.stdout, /^updated\s+\d{4}-\d\d-\d\dT/m)
      assert.notMatch(status.stdout, /^error/m)

      assert.strictEqual(list.code, 0, list.stderr)
      const lines = list.stdout.trimEnd().split("\n")
      assert.match(lines[0]!, /^ID\s+STATUS\s+TIER\s+CREATED \(UTC\)\s+GOAL$/)
      // newest first
      assert.match(lines[1]!, new RegExp(`^${ids[1]}\\s+PENDING\\s+small\\s+.*${goals[1]}$`))
      assert.match(lines[2]!, new RegExp(`^${ids[0]}\\s+PENDING\\s+small\\s+.*${goals[0]}$`))
      assert.strictEqual(lines.at(-1), "page 1 of 1, 2 jobs")

      assert.strictEqual(page2.code, 0, page2.stderr)
      assert.include(page2.stdout, goals[0])
      assert.notInclude(page2.stdout, goals[1])
      assert.include(page2.stdout, "page 2 of 2, 2 jobs")
    }))

  it.effect("a job that does not exist: one line on stderr, nothing on stdout, exit code 1", () =>
    Effect.gen(function*() {
      const { env } = yield* cliUser("lost")
      const [status, cancel, report] = yield* Effect.all([
        runCli(["status", "999999"], env),
        runCli(["cancel", "999999"], env),
        runCli(["report", "999999"], env)
      ], { concurrency: "unbounded" })
      for (const result of [status, cancel, report]) {
        assert.strictEqual(assertOneLineError(result, "Job 999999 not found"), "fishcloud: Job 999999 not found")
        assert.strictEqual(result.code, 1)
        assert.strictEqual(result.stdout, "")
      }
    }))

  it.effect("cancel cancels a live job; cancelling it again gives the API's reason", () =>
    Effect.gen(function*() {
      const { service, token, seedFile, env } = yield* cliUser("canceller")
      const id = submittedId((yield* runCli(["submit", seedFile, "--goal", uniqueGoal("cancel me"), "--tier", "small"], env)).stdout)
      const cancelled = yield* runCli(["cancel", String(id)], env)
      assert.strictEqual(cancelled.code, 0, cancelled.stderr)
      assert.strictEqual(cancelled.stdout, `job ${id}: CANCELLED\n`)
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${id}`, { token })).json.status, "CANCELLED")
      const again = yield* runCli(["cancel", String(id)], env)
      assertOneLineError(again, `Only a live job can be cancelled; job ${id} is CANCELLED`)
    }))

  it.effect("report prints a finished job's markdown, and says when there is none yet", () =>
    Effect.gen(function*() {
      const { seedFile, env } = yield* cliUser("analyst")
      const id = submittedId((yield* runCli(["submit", seedFile, "--goal", uniqueGoal("report"), "--tier", "small"], env)).stdout)
      const early = yield* runCli(["report", String(id)], env)
      assertOneLineError(early, `Job ${id} has no report yet (status PENDING)`)
      const markdown = "# Tram vote\n\nThe line is **likely** approved.\n"
      yield* setStatus(id, "COMPLETED", { report: markdown })
      const report = yield* runCli(["report", String(id)], env)
      assert.strictEqual(report.code, 0, report.stderr)
      assert.strictEqual(report.stdout, markdown)
    }))

  it.effect("report shows finding headings as titles, never the source's slot markup; a three-part result still reads", () =>
    Effect.gen(function*() {
      const { service, token, seedFile, env } = yield* cliUser("slot reader")
      const id = submittedId((yield* runCli(["submit", seedFile, "--goal", uniqueGoal("reader"), "--tier", "small"], env)).stdout)
      const source = "# Tram vote\n\n## Key Findings\n\n### slot=momentum — The price climbed\n\nUp in round 3.\n"
      // A report stored before the structured result had its six artifact parts: brief, verdict and findings only.
      const structured = {
        brief: "Riders won the argument.",
        verdict: "The line is likely approved.",
        findings: [{ slot: "momentum", title: "The price climbed", body: "Up in round 3.", citation: null }]
      }
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE simulation_jobs SET status = 'COMPLETED', result_report = ${source},
        result_structured = ${JSON.stringify(structured)}::jsonb, updated_at = now() WHERE id = ${id}`.pipe(Effect.orDie)
      const report = yield* runCli(["report", String(id)], env)
      assert.strictEqual(report.code, 0, report.stderr)
      assert.notInclude(report.stdout, "slot=")
      assert.strictEqual(report.stdout, "# Tram vote\n\n## Key Findings\n\n### The price climbed\n\nUp in round 3.\n")
      const reply = yield* service.call("GET", `/api/jobs/${id}/report`, { token })
      assert.strictEqual(reply.status, 200)
      assert.deepStrictEqual(reply.json.structured, structured)
      assert.notInclude(reply.json.report, "slot=")
      // The stored source keeps the markup the parser reads.
      const rows = yield* sql<{ report: string }>`SELECT result_report AS report FROM simulation_jobs WHERE id = ${id}`.pipe(Effect.orDie)
      assert.strictEqual(rows[0]!.report, source)
    }))

  it.effect("submit --wait prints each event and exits 0 when the job completes", () =>
    Effect.gen(function*() {
      const { seedFile, env } = yield* cliUser("patient")
      const cli = yield* startCli(["submit", seedFile, "--goal", uniqueGoal("wait ok"), "--tier", "small", "--wait"], env)
      const id = Number((yield* cli.waitForStdout(/^job (\d+) submitted: PENDING$/m))[1]) as JobId
      yield* Effect.gen(function*() {
        yield* transition(id, "PROVISIONING")
        yield* transition(id, "RUNNING")
        yield* appendEvent(id, { kind: "stage", data: { stage: 2 } })
      }).pipe(Effect.orDie)
      yield* cli.waitForStdout(new RegExp(`^job ${id}: building the entity graph$`, "m"))
      yield* Effect.gen(function*() {
        yield* transition(id, "REPORTING")
        yield* transition(id, "COMPLETED")
      }).pipe(Effect.orDie)
      const result = yield* cli.result
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stderr, "")
      assert.deepStrictEqual(result.stdout.trimEnd().split("\n"), [
        `job ${id} submitted: PENDING`,
        `job ${id}: PROVISIONING`,
        `job ${id}: RUNNING`,
        `job ${id}: building the entity graph`,
        `job ${id}: REPORTING`,
        `job ${id}: COMPLETED`,
        `job ${id} ended COMPLETED; GPU cost $0.00`
      ])
    }))

  it.effect("submit --wait exits non-zero when the job is cancelled while it waits", () =>
    Effect.gen(function*() {
      const { service, token, seedFile, env } = yield* cliUser("impatient")
      const cli = yield* startCli(["submit", seedFile, "--goal", uniqueGoal("wait cancel"), "--tier", "small", "--wait"], env)
      const id = Number((yield* cli.waitForStdout(/^job (\d+) submitted/m))[1])
      const waiting = yield* Effect.forkChild(cli.result)
      const cancel = yield* service.call("POST", `/api/jobs/${id}/cancel`, { token })
      assert.strictEqual(cancel.status, 200)
      const result = yield* Fiber.join(waiting)
      assert.include(result.stdout, `job ${id}: CANCELLED`)
      assert.include(result.stdout, `job ${id} ended CANCELLED; GPU cost $0.00`)
      assertOneLineError(result, `job ${id} ended CANCELLED`)
    }))

  it.effect("usage errors name the problem and the help to read, in one line", () =>
    Effect.gen(function*() {
      const { seedFile, env } = yield* cliUser("sloppy")
      const [badTier, noGoal, badId] = yield* Effect.all([
        runCli(["submit", seedFile, "--goal", "g", "--tier", "huge"], env),
        runCli(["submit", seedFile, "--tier", "small"], env),
        runCli(["status", "abc"], env)
      ], { concurrency: "unbounded" })
      assertOneLineError(badTier, `--tier: "huge"`)
      assertOneLineError(badTier, "fishcloud submit --help")
      assertOneLineError(noGoal, "Missing required flag: --goal")
      assertOneLineError(badId, `argument <id>: "abc"`)
    }))
})
