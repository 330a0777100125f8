/**
 * What a chaos run left behind, read once the services are stopped: the jobs and pods tables, whether a live job
 * still has a workflow execution in the engine's storage, and the fake provider's own pods and ledger
 * (`$FISHCLOUD_HOME/fake-pods.jsonl`). `chaos-report.ts` turns these facts into the table and the verdict.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect } from "effect"
import { type FakeState, loadFakeState } from "../../layers/pods/fake/fake-store.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { terminalStatuses } from "../../src/domain/status.ts"
import { ReportWorkflow, SimulationWorkflow } from "../../src/lifecycle/workflows.ts"

export interface JobRow {
  readonly id: number
  readonly status: string
  readonly error_message: string | null
  /** Epoch milliseconds. */
  readonly created_at: number
  /** When its terminal status event was written (epoch milliseconds), null while live. */
  readonly ended_at: number | null
}

export interface PodRow {
  readonly job_id: number
  readonly pod_id: string | null
  readonly name: string
  /** When the row recorded the pod terminated (epoch milliseconds), null while live. */
  readonly terminated_at: number | null
  readonly termination_reason: string | null
}

export interface ChaosFacts {
  readonly jobs: ReadonlyArray<JobRow>
  readonly pods: ReadonlyArray<PodRow>
  /** Live jobs with no workflow execution in the engine's storage (none started, or it ended with the job live). */
  readonly liveWithoutExecution: ReadonlyArray<{ readonly id: number; readonly status: string; readonly why: string }>
  readonly fake: FakeState
}

const terminal: ReadonlyArray<string> = terminalStatuses


/** The job rows, for the run's progress line. */
export const jobStatuses = Effect.gen(function*() {
  const sql = yield* PgClient.PgClient
  return yield* sql<{ id: number; status: string }>`SELECT id, status FROM simulation_jobs ORDER BY id`
})

/**
 * Why no workflow drives a live job, or undefined when one does. The engine records a `run` request per execution
 * (`cluster_messages`, entity id = the execution id) and, once the execution returns, its final reply
 * (`cluster_replies`, kind 0 = WithExit). A durable sleep also returns (a Suspended result) until the sleep ends, so
 * the reply is quoted for the reader to tell the two apart.
 */
const missingExecution = (job: { readonly id: number; readonly status: string }) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const workflow = job.status === "REPORTING" ? ReportWorkflow : SimulationWorkflow
    const executionId = yield* workflow.executionId({ job_id: job.id as JobId })
    const runs = yield* sql<{ reply: string | null }>`
      SELECT (SELECT left(r.payload, 300) FROM cluster_replies r WHERE r.request_id = m.id AND r.kind = 0 LIMIT 1) AS reply
      FROM cluster_messages m WHERE m.entity_type = ${`Workflow/${workflow._tag}`} AND m.entity_id = ${executionId} AND m.tag = 'run'`
    if (runs.length === 0) return `no ${workflow._tag} execution`
    const open = runs.filter((run) => run.reply === null)
    if (open.length > 0) return undefined
    return `its ${workflow._tag} execution returned (${runs.map((run) => run.reply).join("; ")}) with the job ${job.status}`
  })

export const collectFacts = (home: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const jobs = yield* sql<JobRow>`
      SELECT j.id, j.status, j.error_message, (EXTRACT(EPOCH FROM j.created_at) * 1000)::float8 AS created_at,
        (SELECT (EXTRACT(EPOCH FROM max(e.at)) * 1000)::float8 FROM job_events e
          WHERE e.job_id = j.id AND e.kind = 'status' AND e.data->>'to' IN ${sql.in(terminal)}) AS ended_at
      FROM simulation_jobs j ORDER BY j.id`
    const pods = yield* sql<PodRow>`
      SELECT job_id, pod_id, name, (EXTRACT(EPOCH FROM terminated_at) * 1000)::float8 AS terminated_at, termination_reason
      FROM pods ORDER BY id`
    const liveWithoutExecution: Array<{ id: number; status: string; why: string }> = []
    for (const job of jobs.filter((row) => !terminal.includes(row.status))) {
      const why = yield* missingExecution(job)
      if (why !== undefined) liveWithoutExecution.push({ id: job.id, status: job.status, why })
    }
    const fake = yield* loadFakeState(home)
    return { jobs, pods, liveWithoutExecution, fake } satisfies ChaosFacts
  })
