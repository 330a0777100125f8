/**
 * The chaos run's verdict (`test/support/chaos-report.ts`) on made-up facts: a clean run passes, and each invariant
 * is caught with its evidence when it breaks.
 */
import { assert, describe, it } from "@effect/vitest"
import type { ChaosFacts } from "../support/chaos-audit.ts"
import { chaosReport, renderChaosTable, type RunRecord } from "../support/chaos-report.ts"

const t0 = Date.parse("2026-12-01T12:00:00Z")

const fakePod = (id: string, name: string, created: number, terminated: number | null) => ({
  id, name, index: 1, gpu_type: "NVIDIA L40S", cost_per_hour: 1, created_at: t0 + created, terminated_at: terminated === null ? null : t0 + terminated,
  submitted_at: null, max_rounds: 15, job_key: null, artifacts_uploaded: false
})

/** Two jobs, each with one pod created, terminated once and recorded. */
const clean: ChaosFacts = {
  jobs: [
    { id: 1, status: "COMPLETED", error_message: null, created_at: t0, ended_at: t0 + 30_000 },
    { id: 2, status: "FAILED", error_message: "stuck: no new round", created_at: t0, ended_at: t0 + 50_000 }
  ],
  pods: [
    { job_id: 1, pod_id: "p1", name: "fishcloud-sim-j1-a1", terminated_at: t0 + 29_000, termination_reason: "completed" },
    { job_id: 2, pod_id: "p2", name: "fishcloud-sim-j2-a1", terminated_at: t0 + 49_000, termination_reason: "job_failed" }
  ],
  liveWithoutExecution: [],
  fake: {
    pods: [fakePod("p1", "fishcloud-sim-j1-a1", 1_000, 29_000), fakePod("p2", "fishcloud-sim-j2-a1", 1_000, 49_000)],
    ledger: [
      { op: "create", pod_id: "p1", name: "fishcloud-sim-j1-a1", gpu_type: "NVIDIA L40S", at: t0 + 1_000 },
      { op: "create", pod_id: "p2", name: "fishcloud-sim-j2-a1", gpu_type: "NVIDIA L40S", at: t0 + 1_000 },
      { op: "terminate", pod_id: "p1", name: "fishcloud-sim-j1-a1", gpu_type: "NVIDIA L40S", at: t0 + 29_000 },
      { op: "terminate", pod_id: "p2", name: "fishcloud-sim-j2-a1", gpu_type: "NVIDIA L40S", at: t0 + 49_000 }
    ]
  }
}

const run: RunRecord = {
  settings: { jobs: 2, runners: 3, scale: 0.05, seed: 1, storeFaultRate: 0 },
  submissions: [{ n: 1, id: 1, via: "created" }, { n: 2, id: 2, via: "created" }],
  events: [{ at: 10, kind: "sigkill", detail: "runner-2 pid 1" }],
  maintenance: { how: "exit 0", output: "maintenance: 0 stale job(s) failed, 0 of 0 pod(s) reaped" },
  wallSeconds: 60,
  settled: true
}

describe("chaos report", () => {
  it("a clean run passes, with its counts", () => {
    const report = chaosReport(clean, run)
    assert.isTrue(report.passed, renderChaosTable(report))
    assert.deepStrictEqual(report.jobs.by_status, { COMPLETED: 1, FAILED: 1 })
    assert.deepStrictEqual(report.jobs.failure_reasons, { stuck: 1 })
    assert.deepStrictEqual(report.time_to_terminal_seconds, { p50: 30, max: 50 })
    assert.strictEqual(report.pods.ledger.created, 2)
    assert.strictEqual(report.pods.table.terminated, 2)
    assert.include(renderChaosTable(report), "RESULT: PASS")
  })

  it("a second terminate call, after the row said terminated, breaks 'terminated more than once'", () => {
    const facts: ChaosFacts = {
      ...clean,
      fake: { ...clean.fake, ledger: [...clean.fake.ledger, { op: "terminate-missing", pod_id: "p1", name: "fishcloud-sim-j1-a1", gpu_type: "NVIDIA L40S", at: t0 + 40_000 }] }
    }
    const report = chaosReport(facts, run)
    assert.isFalse(report.passed)
    assert.strictEqual(report.invariants.pods_terminated_twice.length, 1)
    assert.strictEqual(report.invariants.pods_terminated_twice[0]!.pod_id, "p1")
    assert.match(report.invariants.pods_terminated_twice[0]!.calls[1]!, /terminate-missing .* \(row already terminated\)$/)
    assert.include(renderChaosTable(report), "pods terminated more than once       1  BROKEN")
  })

  it("a job's second pod created before its first was terminated breaks 'two live pods at once'", () => {
    const facts: ChaosFacts = {
      ...clean,
      fake: { ...clean.fake, pods: [...clean.fake.pods, fakePod("p3", "fishcloud-sim-j1-a2", 20_000, 35_000)] }
    }
    const report = chaosReport(facts, run)
    assert.deepStrictEqual(report.invariants.jobs_with_two_live_pods.map((found) => found.job_id), [1])
  })

  it("a pod still up, a live job, a job without a row and one without an execution all fail the run", () => {
    const facts: ChaosFacts = {
      ...clean,
      jobs: [...clean.jobs, { id: 3, status: "RUNNING", error_message: null, created_at: t0, ended_at: null }],
      liveWithoutExecution: [{ id: 3, status: "RUNNING", why: "no fishcloud.SimulationWorkflow execution" }],
      fake: { ...clean.fake, pods: [...clean.fake.pods, fakePod("p4", "fishcloud-sim-j3-a1", 5_000, null)] }
    }
    const submissions = [...run.submissions, { n: 3, id: 3, via: "created" as const }, { n: 4, id: 4, via: "created" as const }]
    const report = chaosReport(facts, { ...run, submissions, settled: false })
    assert.isFalse(report.passed)
    assert.deepStrictEqual(report.invariants.jobs_still_live, [{ id: 3, status: "RUNNING" }])
    assert.deepStrictEqual(report.invariants.jobs_lost.map((lost) => lost.id), [4, 3])
    assert.deepStrictEqual(report.invariants.pods_still_live, ["provider: p4 fishcloud-sim-j3-a1"])
  })
})
