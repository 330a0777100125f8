/**
 * The read commands as a user scripts them and reads them: `--json` prints what the API answered (it decodes with the
 * API's schemas), `open` prints the dashboard's URL, and `list` on a terminal is an aligned, coloured table that fits
 * the terminal's width.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Job, JobPage, JobReport, ModelRouting } from "../../src/domain/job.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { runCli, scopedHome } from "../support/cli-process.ts"
import { visibleScreen } from "../support/terminal-screen.ts"

let counter = 0

const cliUser = (name: string) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const token = yield* service.tokenFor(`${name} #${++counter}`)
    const home = yield* scopedHome
    const seedFile = NodePath.join(home, "seed.txt")
    yield* Effect.promise(() => Fs.writeFile(seedFile, "The city council votes on the new tram line on Tuesday.\n"))
    const env = { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: token, FISHCLOUD_HOME: home }
    return { service, token, seedFile, env }
  })

const submitted = (stdout: string) => {
  const match = stdout.match(/^job (\d+) submitted: PENDING$/m)
  assert.isNotNull(match, `no job id in: ${stdout}`)
  return Number(match![1])
}

const parseAs = <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S, stdout: string) =>
  Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(stdout).pipe(Effect.orDie)

const longGoal = (n: number) =>
  `Will the Harbour Council approve the tram line on Tuesday despite the Chamber of Commerce, and will Riders United win the vote #${n}?`

layer(TestServiceLive(), { excludeTestServices: true })("fishcloud CLI: read commands", (it) => {
  it.effect("--json on status, list, report and routing list prints the API's JSON; open prints the dashboard's URL", () =>
    Effect.gen(function*() {
      const { service, seedFile, env } = yield* cliUser("scripter")
      const id = submitted((yield* runCli(["submit", seedFile, "--goal", `json #${++counter}`, "--tier", "small"], env)).stdout)
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE simulation_jobs SET status = 'COMPLETED', pipeline_stage = 5, result_report = '# Tram vote', updated_at = now()
        WHERE id = ${id}`.pipe(Effect.orDie)
      const [status, list, report, routing, home, page] = yield* Effect.all([
        runCli(["status", String(id), "--json"], env),
        runCli(["list", "--json"], env),
        runCli(["report", String(id), "--json"], env),
        runCli(["routing", "list", "--json"], env),
        runCli(["open"], env),
        runCli(["open", String(id)], { FISHCLOUD_URL: `${service.baseUrl}/`, FISHCLOUD_HOME: env.FISHCLOUD_HOME })
      ], { concurrency: "unbounded" })
      for (const result of [status, list, report, routing, home, page]) assert.strictEqual(result.code, 0, result.stderr)

      const job = yield* parseAs(Job, status.stdout)
      assert.strictEqual(job.id, id)
      assert.strictEqual(job.status, "COMPLETED")
      const jobs = yield* parseAs(JobPage, list.stdout)
      assert.deepStrictEqual(jobs.jobs.map((listed) => listed.id), [id])
      const reportJson = yield* parseAs(JobReport, report.stdout)
      assert.strictEqual(reportJson.job_id, id)
      assert.include(reportJson.report, "# Tram vote")
      const tiers = yield* parseAs(Schema.Array(ModelRouting), routing.stdout)
      assert.sameMembers(tiers.map((row) => row.sim_tier), ["small", "medium", "large"])

      assert.strictEqual(home.stdout, `${service.baseUrl}/\n`)
      assert.strictEqual(page.stdout, `${service.baseUrl}/jobs/${id}\n`, "a trailing slash on the URL is not doubled")
    }), 180_000)

  it.effect("list on a terminal: stage names, coloured statuses, aligned columns cut to the terminal's width", () =>
    Effect.gen(function*() {
      const { seedFile, env } = yield* cliUser("reader")
      const goals = [longGoal(++counter), `short #${++counter}`]
      const ids: Array<number> = []
      for (const goal of goals) ids.push(submitted((yield* runCli(["submit", seedFile, "--goal", goal, "--tier", "small"], env)).stdout))
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE simulation_jobs SET status = 'RUNNING', pipeline_stage = 3 WHERE id = ${ids[0]!}`.pipe(Effect.orDie)
      yield* sql`UPDATE simulation_jobs SET status = 'COMPLETED', pipeline_stage = 5 WHERE id = ${ids[1]!}`.pipe(Effect.orDie)

      // NO_COLOR empty counts as unset (no-color.org), so the terminal gets colours.
      const [terminal, piped] = yield* Effect.all([
        runCli(["list"], { ...env, NO_COLOR: "" }, { terminalColumns: 80 }),
        runCli(["list"], env)
      ], { concurrency: "unbounded" })
      assert.strictEqual(terminal.code, 0, terminal.stdout)
      assert.include(terminal.stdout, "\u001b[36mRUNNING (running the simulation)\u001b[0m")
      assert.include(terminal.stdout, "\u001b[32mCOMPLETED\u001b[0m")
      const screen = visibleScreen(terminal.stdout.replaceAll("\r\n", "\n"))
      const shown = screen.join("\n")
      assert.match(screen[0]!, /^ID\s+STATUS\s+TIER\s+CREATED \(UTC\)\s+GOAL$/)
      assert.match(screen[1]!, new RegExp(`^${ids[1]}\\s+COMPLETED\\s+small\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  short #\\d+$`), shown)
      assert.match(screen[2]!, new RegExp(`^${ids[0]}\\s+RUNNING \\(running the simulation\\)\\s+small\\s+.+  Will the \\S.*…$`), shown)
      assert.strictEqual(screen[1]!.indexOf("short"), screen[2]!.indexOf("Will"), "the goals line up")
      for (const line of screen) assert.isBelow(line.length, 80, line)

      assert.strictEqual(piped.code, 0, piped.stderr)
      assert.notInclude(piped.stdout, "\u001b[", "no colours on a pipe")
      assert.include(piped.stdout, "RUNNING (running the simulation)")
      assert.match(piped.stdout, new RegExp(`^${ids[1]}\\s+COMPLETED\\s+small`, "m"))
    }), 180_000)
})
