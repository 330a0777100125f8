import { assert, layer } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabaseLive } from "../support/test-database.ts"
import { insertPendingJob, jobRow, ScenarioLive, podLedger, podRows, runJob, statusHistory } from "../support/scenario.ts"

layer(TestDatabaseLive)("lifecycle: happy path", (it) => {
  it.effect("a small job goes PENDING -> PROVISIONING -> RUNNING -> REPORTING -> COMPLETED on one pod, torn down once", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob({ goal: "Will the tram line be approved?" })
      const took = yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "COMPLETED", row.error_message ?? "")
      assert.deepStrictEqual(yield* statusHistory(id), ["PENDING", "PROVISIONING", "RUNNING", "REPORTING", "COMPLETED"])
      assert.isTrue(row.sim_data_available)
      assert.include(row.result_report ?? "", "## Executive Summary")
      assert.isNotNull(row.provision_seconds)
      assert.isNotNull(row.gpu_cost_usd)
      const pods = yield* podRows(id)
      assert.lengthOf(pods, 1)
      assert.isTrue(pods[0]!.terminated)
      const { created, terminated, live } = yield* podLedger
      assert.deepStrictEqual(terminated, created)
      assert.lengthOf(live, 0)
      assert.isAbove(took, 400, "a 15-round small job takes minutes of simulated time")
      const sql = yield* SqlClient.SqlClient
      const costEvents = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM job_events WHERE job_id = ${id} AND kind = 'cost'`.pipe(Effect.orDie)
      assert.strictEqual(costEvents[0]!.n, 1, "the final GPU cost is announced once")

      // Step durations are recorded by the steps themselves (no trace exporter here), in the job's own time.
      const steps = (yield* Metric.snapshot).filter((metric) => metric.id === "fishcloud.lifecycle.step_duration_seconds")
      const run = steps.find((metric) => metric.attributes?.["step"] === "Lifecycle.runSimulation")
      assert.isDefined(run, `no runSimulation duration in ${steps.map((metric) => JSON.stringify(metric.attributes)).join(", ")}`)
      assert.strictEqual(run.attributes?.["outcome"], "ok")
      assert.strictEqual(run.type === "Histogram" ? run.state.count : 0, 1)
      assert.isAbove(run.type === "Histogram" ? run.state.sum : 0, 300, "the simulation step lasts minutes of simulated time")
      for (const name of ["Lifecycle.provisionPod", "Lifecycle.waitHealthy", "Lifecycle.finalize", "Lifecycle.terminatePod", "Lifecycle.writeReport"]) {
        assert.isTrue(steps.some((metric) => metric.attributes?.["step"] === name), `no duration for ${name}`)
      }
    }).pipe(Effect.provide(ScenarioLive()), Effect.provideService(Metric.MetricRegistry, new Map())), 60_000)
})
