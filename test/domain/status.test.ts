import { assert, describe, it } from "@effect/vitest"
import { allowedSources, canTransition, isTerminal, JobStatus, liveStatuses } from "../../src/domain/status.ts"

const all = JobStatus.literals

describe("status rules", () => {
  it("the forward path moves one step at a time", () => {
    const path = ["DRAFT", "PENDING", "PROVISIONING", "RUNNING", "REPORTING", "COMPLETED"] as const
    for (let i = 0; i + 1 < path.length; i++) assert.isTrue(canTransition(path[i]!, path[i + 1]!))
    assert.isFalse(canTransition("PENDING", "RUNNING"), "no job runs before it was provisioned")
    assert.isFalse(canTransition("RUNNING", "PROVISIONING"), "status never moves back")
  })

  it("FAILED and CANCELLED are reachable from every live status and nothing else", () => {
    for (const from of all) {
      assert.strictEqual(canTransition(from, "FAILED"), liveStatuses.includes(from), from)
      assert.strictEqual(canTransition(from, "CANCELLED"), liveStatuses.includes(from), from)
    }
  })

  it("terminal statuses are final and nothing becomes a draft", () => {
    for (const from of all.filter(isTerminal)) {
      for (const to of all) assert.isFalse(canTransition(from, to), `${from} -> ${to}`)
    }
    assert.deepStrictEqual(allowedSources("DRAFT"), [])
  })
})
