import { assert, describe, it } from "@effect/vitest"
import type { StoredEvent } from "../../src/domain/job-event.ts"
import { deriveSteps } from "../../src/domain/timeline.ts"

const at = "2026-12-02T10:00:00.000Z"

describe("timeline steps", () => {
  it("are listed in the order they started, also when several started in the same millisecond", () => {
    // Written within one millisecond, as a fast journal does: only the seq tells the order.
    const events: ReadonlyArray<StoredEvent> = [
      { seq: 1, kind: "status", data: { to: "PENDING" }, at },
      { seq: 2, kind: "status", data: { from: "PENDING", to: "PROVISIONING" }, at },
      { seq: 3, kind: "status", data: { from: "PROVISIONING", to: "RUNNING" }, at },
      { seq: 4, kind: "stage", data: { stage: 1 }, at },
      { seq: 5, kind: "stage", data: { stage: 2 }, at },
      { seq: 6, kind: "status", data: { from: "RUNNING", to: "FAILED", error: "worker died" }, at }
    ]
    assert.deepStrictEqual(
      deriveSteps(events, at).map((step) => [step.name, step.outcome]),
      [["PENDING", "completed"], ["PROVISIONING", "completed"], ["RUNNING", "failed"], ["stage 1", "completed"], ["stage 2", "failed"]]
    )
  })
})
