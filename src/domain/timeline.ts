/**
 * A job's timeline (`GET /api/jobs/:id/timeline`) and the events of its live stream (`GET /api/jobs/:id/events`).
 *
 * How the steps are derived from `job_events` (ordered by `seq`):
 * - every `status` event whose `to` is a live status (PENDING, PROVISIONING, RUNNING, REPORTING) opens a step named
 *   after that status; the next `status` event ends it. Its outcome is `failed` or `cancelled` when the job went
 *   to FAILED or CANCELLED, else `completed` (status only moves forward); a step that is still open is `running`. Terminal statuses open no step; a DRAFT is not a step either.
 * - every `stage` event opens a step `stage N` that the next `stage` event or the terminal status event ends
 *   (outcome `completed`, or the terminal status when the job ended during that stage).
 * - attempts: the number of pods created (`pod` events with `event: created`) while the step was open, at least 1;
 *   a pod swap after a bad host or a degraded worker shows as a second attempt of PROVISIONING / RUNNING.
 * Pods come from the `pods` table; a pod's cost is its seconds from request to termination (or now, while it is
 * up) times its hourly price, and 0 for a request the provider never turned into a pod.
 */
import { Schema } from "effect"
import { JobId } from "./ids.ts"
import type { StoredEvent } from "./job-event.ts"
import { isTerminal, JobStatus } from "./status.ts"

const StepOutcome = Schema.Literals(["running", "completed", "failed", "cancelled"])
type StepOutcome = typeof StepOutcome.Type

export const TimelineStep = Schema.Struct({
  name: Schema.String,
  kind: Schema.Literals(["status", "stage"]),
  started_at: Schema.String,
  ended_at: Schema.NullOr(Schema.String),
  /** Seconds from start to end (to now while it runs). */
  seconds: Schema.Number,
  attempts: Schema.Int,
  outcome: StepOutcome
})
export type TimelineStep = typeof TimelineStep.Type

export const TimelinePod = Schema.Struct({
  pod_id: Schema.NullOr(Schema.String),
  name: Schema.String,
  provider: Schema.String,
  gpu_type: Schema.NullOr(Schema.String),
  cost_per_hour: Schema.NullOr(Schema.Number),
  requested_at: Schema.String,
  ready_at: Schema.NullOr(Schema.String),
  terminated_at: Schema.NullOr(Schema.String),
  termination_reason: Schema.NullOr(Schema.String),
  /** Seconds billed so far: request to termination, or to now while the pod is up. */
  seconds: Schema.Number,
  cost_usd: Schema.Number
})
export type TimelinePod = typeof TimelinePod.Type

export const JobTimeline = Schema.Struct({
  job_id: JobId,
  status: JobStatus,
  steps: Schema.Array(TimelineStep),
  pods: Schema.Array(TimelinePod),
  /** Sum of the pods' cost. */
  gpu_cost_usd: Schema.Number
})
export type JobTimeline = typeof JobTimeline.Type

const statusTo = (event: StoredEvent): JobStatus | undefined => event.kind === "status" ? event.data.to : undefined

/** A `status` event that moved the job to COMPLETED, FAILED or CANCELLED: the last event a stream waits for. */
export const isTerminalEvent = (event: StoredEvent): boolean => {
  const to = statusTo(event)
  return to !== undefined && isTerminal(to)
}

/** How a step ended, from the status the job moved to (status only moves forward, or to FAILED / CANCELLED). */
const outcomeOf = (to: JobStatus): StepOutcome => to === "FAILED" ? "failed" : to === "CANCELLED" ? "cancelled" : "completed"

const secondsBetween = (start: string, end: string) => Math.max(0, (Date.parse(end) - Date.parse(start)) / 1000)

/** The steps of a job from its events (see the module comment); `now` closes the open steps' `seconds`. */
export const deriveSteps = (events: ReadonlyArray<StoredEvent>, now: string): ReadonlyArray<TimelineStep> => {
  interface Open {
    readonly name: string
    readonly kind: "status" | "stage"
    readonly started_at: string
    /** The seq of the event that opened it: steps are listed in this order (two can start in one millisecond). */
    readonly opened: number
    attempts: number
  }
  const steps: Array<TimelineStep & { readonly opened: number }> = []
  let status: Open | undefined
  let stage: Open | undefined
  const close = (open: Open, at: string, outcome: StepOutcome) =>
    steps.push({
      name: open.name,
      kind: open.kind,
      started_at: open.started_at,
      ended_at: at,
      seconds: secondsBetween(open.started_at, at),
      attempts: Math.max(1, open.attempts),
      outcome,
      opened: open.opened
    })
  for (const event of events) {
    const to = statusTo(event)
    if (to !== undefined) {
      if (status !== undefined) close(status, event.at, outcomeOf(to))
      status = undefined
      if (isTerminal(to)) {
        if (stage !== undefined) close(stage, event.at, outcomeOf(to))
        stage = undefined
      } else if (to !== "DRAFT") {
        status = { name: to, kind: "status", started_at: event.at, opened: event.seq, attempts: 0 }
      }
    } else if (event.kind === "stage") {
      if (stage !== undefined) close(stage, event.at, "completed")
      stage = { name: `stage ${event.data.stage}`, kind: "stage", started_at: event.at, opened: event.seq, attempts: 0 }
    } else if (event.kind === "pod" && event.data.event === "created") {
      if (status !== undefined) status.attempts++
      if (stage !== undefined) stage.attempts++
    }
  }
  const stillOpen = [status, stage].filter((open): open is Open => open !== undefined)
  for (const open of stillOpen) {
    steps.push({
      name: open.name,
      kind: open.kind,
      started_at: open.started_at,
      ended_at: null,
      seconds: secondsBetween(open.started_at, now),
      attempts: Math.max(1, open.attempts),
      outcome: "running",
      opened: open.opened
    })
  }
  return steps.sort((a, b) => a.opened - b.opened).map(({ opened: _, ...step }) => step)
}
