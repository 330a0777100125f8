/** The reaper's decision, pod by pod: a pure function of the pod's record, its age and the graces. */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import type { PodRecord } from "../../services/maintenance-store.ts"
import type { JobId } from "../../src/domain/ids.ts"
import type { JobStatus } from "../../src/domain/status.ts"
import { reapReason } from "../../src/lifecycle/maintenance/orphan-pod-reaper.ts"

const grace = { live: 600, terminal: 120 }
const now = 1_000_000_000

const record = (overrides: Partial<Omit<PodRecord, "job_status">> & { readonly status?: JobStatus | null } = {}): Option.Option<PodRecord> =>
  Option.some({
    job_id: 7 as JobId,
    job_status: overrides.status === null ? Option.none() : Option.some(overrides.status ?? "RUNNING"),
    requested_at: overrides.requested_at ?? now - 3600_000,
    settled_at: overrides.settled_at ?? overrides.requested_at ?? now - 3600_000,
    terminated: overrides.terminated ?? false,
    termination_reason: overrides.termination_reason ?? null,
    current: overrides.current ?? true
  })

const reason = (pod: Option.Option<PodRecord>) => Option.getOrUndefined(reapReason(pod, now, grace))

describe("reapReason", () => {
  it("never reaps a live job's current pod, however old", () => {
    for (const status of ["PENDING", "PROVISIONING", "RUNNING", "REPORTING"] as const) {
      assert.isUndefined(reason(record({ status, requested_at: 0 })))
    }
  })

  it("names why a pod no live job uses is reaped", () => {
    assert.strictEqual(reason(Option.none()), "no_record")
    assert.strictEqual(reason(record({ status: null })), "job_deleted")
    assert.strictEqual(reason(record({ status: "COMPLETED" })), "job_terminal")
    assert.strictEqual(reason(record({ status: "CANCELLED", current: false })), "job_terminal")
    assert.strictEqual(reason(record({ termination_reason: "terminate_failed: completed" })), "terminate_failed")
    assert.strictEqual(reason(record({ status: "COMPLETED", termination_reason: "terminate_failed: completed" })), "terminate_failed")
    assert.strictEqual(reason(record({ terminated: true, termination_reason: "completed" })), "still_running_after_terminate")
    assert.strictEqual(reason(record({ current: false })), "superseded")
  })

  it("waits 10 minutes for a superseded pod and 2 for the others", () => {
    assert.isUndefined(reason(record({ current: false, requested_at: now - 599_000 })))
    assert.strictEqual(reason(record({ current: false, requested_at: now - 600_000 })), "superseded")
    assert.isUndefined(reason(record({ status: "FAILED", settled_at: now - 119_000 })))
    assert.strictEqual(reason(record({ status: "FAILED", settled_at: now - 120_000 })), "job_terminal")
  })

  it("counts a finished job's grace from when it finished, not from when its pod was requested", () => {
    assert.isUndefined(reason(record({ status: "COMPLETED", requested_at: now - 3600_000, settled_at: now - 1000 })))
    assert.isUndefined(reason(record({ terminated: true, requested_at: now - 3600_000, settled_at: now - 1000 })))
  })
})
