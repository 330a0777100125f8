/**
 * Cancel and GPU waste, for `npm run bench`: `jobs` small jobs run in rehearsal mode; once all run, every other one
 * is cancelled and the rest complete. Measured from the fake provider's own record of each pod (when it was
 * terminated, and when its simulation finished, `finishedAt`):
 *   - cancel → pod terminated: from the cancel request to the provider terminating the job's pod;
 *   - GPU waste of a completed job: billed pod-seconds after its simulation finished (noticing it at the next poll,
 *     checking the artifacts, terminating).
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted, Schedule } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { finishedAt } from "../../layers/pods/fake/fake-pod-timeline.ts"
import { loadFakeState } from "../../layers/pods/fake/fake-store.ts"
import { policies } from "../../src/lifecycle/policies.ts"
import { parsePodName } from "../../src/domain/pods.ts"
import { benchService } from "./bench-service.ts"
import { runningJobs } from "./recovery-bench.ts"

export interface CancelResult {
  readonly jobs: number
  /** The status poll interval at the scenario's time scale. */
  readonly pollSeconds: number
  /** Per cancelled job: seconds from the cancel request to its pod terminated. */
  readonly cancelToTerminated: ReadonlyArray<number>
  /** Per completed job: billed pod-seconds after its simulation finished. */
  readonly wasteAfterFinish: ReadonlyArray<number>
  /** Pods still up when the wait ended (each one a leak). */
  readonly podsLeftUp: number
}

export const benchCancel = (options: { readonly url: string; readonly folder: string; readonly scale: number; readonly jobs: number }) =>
  Effect.gen(function*() {
    const fishcloud = yield* benchService({ url: options.url, folder: options.folder, name: "cancel", scale: options.scale })
    yield* fishcloud.start("cancel")
    const sql = yield* PgClient.PgClient
    const ids = yield* runningJobs(fishcloud, options.jobs, "Cancel", "small")

    const cancelledAt = new Map<number, number>()
    yield* Effect.forEach(ids.filter((_, n) => n % 2 === 0), (id) =>
      Effect.gen(function*() {
        cancelledAt.set(id, Date.now())
        const reply = yield* Effect.orDie(fishcloud.call("POST", `/api/jobs/${id}/cancel`))
        if (reply.status !== 200) return yield* Effect.die(new Error(`cancel of job ${id} answered ${reply.status}: ${reply.text}`))
      }), { concurrency: 10, discard: true })

    // Every job ends (cancelled, or completed and its pod torn down before the report).
    yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM simulation_jobs WHERE id IN ${sql.in(ids)}
      AND status IN ('REPORTING', 'COMPLETED', 'CANCELLED', 'FAILED')`.pipe(
      Effect.orDie,
      Effect.repeat({ schedule: Schedule.spaced("500 millis"), until: (rows) => (rows[0]?.n ?? 0) === ids.length }),
      Effect.timeout(Duration.minutes(5)),
      Effect.orDie
    )
    // A pod is terminated right after REPORTING; give the last ones a moment.
    yield* Effect.sleep(Duration.seconds(2))

    const world = { scale: options.scale, faults: new Set<never>() }
    const { pods } = yield* loadFakeState(fishcloud.home)
    const cancelToTerminated: Array<number> = []
    const wasteAfterFinish: Array<number> = []
    for (const pod of pods) {
      const job = parsePodName(pod.name)?.jobId
      if (job === undefined || pod.terminated_at === null) continue
      const cancelled = cancelledAt.get(job)
      const finished = finishedAt(pod, world)
      if (cancelled !== undefined) cancelToTerminated.push((pod.terminated_at - cancelled) / 1000)
      else if (finished !== null) wasteAfterFinish.push(Math.max(0, pod.terminated_at - finished) / 1000)
    }
    return {
      jobs: ids.length,
      pollSeconds: Duration.toSeconds(policies.poll.every) * options.scale,
      cancelToTerminated,
      wasteAfterFinish,
      podsLeftUp: pods.filter((pod) => pod.terminated_at === null).length
    } satisfies CancelResult
  }).pipe(Effect.provide(PgClientLive(Redacted.make(options.url))), Effect.scoped)
