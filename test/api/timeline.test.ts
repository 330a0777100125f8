/** `GET /api/jobs/:id/timeline`: steps derived from the job's events, pods from the pods table with their cost. */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { JobId } from "../../src/domain/ids.ts"
import { appendEvent, progressAt, transition } from "../support/journal.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { createJob, failsWith, newUser } from "../support/api-fixtures.ts"

const newLiveJob = Effect.gen(function*() {
  const { api } = yield* newUser("timeline")
  const job = yield* createJob(api)
  return { api, id: job.id }
})

/** Moves the pods' times back so their seconds and cost are exact: requested 1 h before termination. */
const ageRows = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE pods SET requested_at = terminated_at - interval '1 hour', ready_at = CASE WHEN ready_at IS NULL THEN NULL ELSE terminated_at - interval '50 minutes' END
      WHERE job_id = ${id} AND terminated_at IS NOT NULL`
  }).pipe(Effect.orDie)

layer(TestServiceLive(), { excludeTestServices: true })("GET /api/jobs/:id/timeline", (it) => {
  it.effect("a run with a pod swap: steps with outcomes and attempts, every pod with provider, GPU, times, reason, cost", () =>
    Effect.gen(function*() {
      const { api, id } = yield* newLiveJob
      yield* Effect.gen(function*() {
        const journal = yield* JobJournal
        yield* transition(id, "PROVISIONING")
        yield* journal.recordPodRequested(id, "runpod", "job-a1", "A100")
        yield* journal.recordPodCreated(id, "job-a1", { id: "pod-1", gpu_type: "A100", cost_per_hour: 2 })
        yield* journal.recordPodTerminated(id, "pod-1", "bad_host")
        yield* journal.recordPodRequested(id, "runpod", "job-a2", "H100")
        yield* journal.recordPodCreated(id, "job-a2", { id: "pod-2", gpu_type: "H100", cost_per_hour: 3 })
        yield* journal.recordPodReady(id, "pod-2")
        yield* transition(id, "RUNNING")
        yield* appendEvent(id, { kind: "stage", data: { stage: 1 } })
        yield* appendEvent(id, progressAt(1, 5))
        yield* appendEvent(id, { kind: "stage", data: { stage: 2 } })
        yield* transition(id, "FAILED", { errorMessage: "worker died" })
        yield* journal.recordPodTerminated(id, "pod-2", "job_failed")
      }).pipe(Effect.orDie)
      yield* ageRows(id)
      const timeline = yield* api.jobs.timeline({ params: { id } })
      assert.strictEqual(timeline.job_id, id)
      assert.strictEqual(timeline.status, "FAILED")
      assert.deepStrictEqual(
        timeline.steps.map((step) => [step.name, step.kind, step.attempts, step.outcome, step.ended_at !== null]),
        [
          ["PENDING", "status", 1, "completed", true],
          ["PROVISIONING", "status", 2, "completed", true],
          ["RUNNING", "status", 1, "failed", true],
          ["stage 1", "stage", 1, "completed", true],
          ["stage 2", "stage", 1, "failed", true]
        ]
      )
      for (const step of timeline.steps) assert.isAtLeast(step.seconds, 0)
      assert.deepStrictEqual(
        timeline.pods.map((pod) => [pod.pod_id, pod.name, pod.provider, pod.gpu_type, pod.cost_per_hour, pod.termination_reason]),
        [["pod-1", "job-a1", "runpod", "A100", 2, "bad_host"], ["pod-2", "job-a2", "runpod", "H100", 3, "job_failed"]]
      )
      assert.strictEqual(timeline.pods[0]!.ready_at, null)
      assert.isString(timeline.pods[1]!.ready_at)
      for (const pod of timeline.pods) assert.closeTo(pod.seconds, 3600, 0.01)
      assert.closeTo(timeline.pods[0]!.cost_usd, 2, 1e-6)
      assert.closeTo(timeline.pods[1]!.cost_usd, 3, 1e-6)
      assert.closeTo(timeline.gpu_cost_usd, 5, 1e-6)
    }))

  it.effect("a live job's current step is running with no end; a pod request the provider refused costs nothing", () =>
    Effect.gen(function*() {
      const { api, id } = yield* newLiveJob
      yield* Effect.gen(function*() {
        const journal = yield* JobJournal
        yield* transition(id, "PROVISIONING")
        yield* journal.recordPodRequested(id, "local", "job-a1", "A100")
      }).pipe(Effect.orDie)
      const timeline = yield* api.jobs.timeline({ params: { id } })
      const last = timeline.steps.at(-1)!
      assert.deepStrictEqual([last.name, last.ended_at, last.outcome], ["PROVISIONING", null, "running"])
      assert.deepStrictEqual(timeline.pods.map((pod) => [pod.pod_id, pod.provider, pod.cost_usd]), [[null, "local", 0]])
      assert.strictEqual(timeline.gpu_cost_usd, 0)
    }))

  it.effect("another user's job is 404 like a missing one; no token is 401", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { api, id } = yield* newLiveJob
      const stranger = yield* newUser("stranger")
      yield* failsWith(stranger.api.jobs.timeline({ params: { id } }), "JobNotFound")
      yield* failsWith(api.jobs.timeline({ params: { id: JobId.make(999999) } }), "JobNotFound")
      // A client without a token sends no Authorization header.
      const anonymous = yield* service.client()
      yield* failsWith(anonymous.jobs.timeline({ params: { id } }), "Unauthorized")
    }))
})
