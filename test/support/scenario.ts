/**
 * Scenario tests of the job lifecycle: the real workflows and activities on the in-memory workflow engine, a real
 * Postgres database, the fake GPU provider with scripted faults, an in-memory object store and the offline LLM
 * steps. Time is simulated (`simulated-time.ts`): the clock moves only when the program is waiting for it, from one
 * pending sleep to the next, never while a query is in flight, so a scenario takes the same path on a busy machine
 * as on an idle one.
 */
import { assert } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { WorkflowEngine } from "effect/workflow"
import { JobJournalLive } from "../../layers/db/job-journal.ts"
import { OfflineEnricherLive } from "../../layers/llm/offline/offline-enricher.ts"
import { OfflineMarketDeriverLive } from "../../layers/llm/offline/offline-market-deriver.ts"
import { OfflineReportWriterLive } from "../../layers/llm/offline/offline-report-writer.ts"
import { FakePodsLive, type FakePodsOptions } from "../../layers/pods/fake/fake-pods.ts"
import { FakePods } from "../../services/fake-pods.ts"
import type { ObjectStore } from "../../services/object-store.ts"
import type { FakeFault } from "../../layers/pods/fake/fake-faults.ts"
import type { Enricher } from "../../services/enricher.ts"
import type { MarketDeriver } from "../../services/market-deriver.ts"
import type { ReportWriter } from "../../services/report-writer.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { isTerminal, type JobStatus } from "../../src/domain/status.ts"
import { EnrichmentWorkflowLive } from "../../src/lifecycle/enrichment-workflow.ts"
import { JobLifecycleLive } from "../../src/lifecycle/job-lifecycle.ts"
import { ReportWorkflowLive } from "../../src/lifecycle/report-workflow.ts"
import { SimulationWorkflowLive } from "../../src/lifecycle/simulation-workflow.ts"
import { RunWatcher, RunWatcherLive } from "../../src/lifecycle/run-watcher.ts"
import { SimulationWorkflow } from "../../src/lifecycle/workflows.ts"
import { MemoryObjectStoreLive, type MemoryObjectStoreOptions } from "./memory-object-store.ts"
import { RecordingAlertsLive } from "./recording-alerts.ts"
import { JobJournal } from "../../services/job-journal.ts"
import { SimulatedTimeLive } from "./simulated-time.ts"
import { SimulatedTime } from "./simulated-time.ts"

export interface ScenarioOptions {
  readonly faults?: ReadonlyArray<FakeFault>
  readonly timings?: FakePodsOptions["timings"]
  readonly faultyPods?: number
  readonly enricher?: Layer.Layer<Enricher>
  readonly marketDeriver?: Layer.Layer<MarketDeriver>
  readonly reportWriter?: Layer.Layer<ReportWriter, never, ObjectStore>
  /** Faults in the database as the lifecycle sees it: the real journal, wrapped (e.g. one method dies). */
  readonly journal?: (journal: JobJournal["Service"]) => JobJournal["Service"]
  /** `false`: no run watcher (the test starts and stops its own, as a restarted process would). */
  readonly runWatcher?: false
  /** Faults in the object store: which operations on which keys fail. */
  readonly storeFailWhen?: MemoryObjectStoreOptions["failWhen"]
}

const journalLayer = (wrap: ScenarioOptions["journal"]) =>
  wrap === undefined ? JobJournalLive : Layer.effect(JobJournal, Effect.gen(function*() {
    return wrap(yield* JobJournal)
  })).pipe(Layer.provide(JobJournalLive))

export const ScenarioLive = (options: ScenarioOptions = {}) =>
  Layer.mergeAll(SimulationWorkflowLive, ReportWorkflowLive, EnrichmentWorkflowLive, JobLifecycleLive).pipe(
    // Without a watcher, a started run waits for one the test starts (which reads it from its row).
    Layer.provideMerge(options.runWatcher === false ? Layer.succeed(RunWatcher, { watch: () => Effect.void }) : RunWatcherLive),
    Layer.provideMerge(FakePodsLive({
      faults: new Set(options.faults ?? []),
      scale: 1,
      timings: options.timings,
      faultyPods: options.faultyPods
    })),
    Layer.provideMerge(Layer.mergeAll(
      options.enricher ?? OfflineEnricherLive,
      options.marketDeriver ?? OfflineMarketDeriverLive,
      options.reportWriter ?? OfflineReportWriterLive
    )),
    Layer.provideMerge(MemoryObjectStoreLive({ failWhen: options.storeFailWhen })),
    Layer.provideMerge(RecordingAlertsLive),
    Layer.provideMerge(journalLayer(options.journal)),
    Layer.provideMerge(WorkflowEngine.layerMemory),
    // Below everything: every fiber of the scenario runs on the simulated clock, scheduler and tracer.
    Layer.provideMerge(SimulatedTimeLive)
  )

export interface NewScenarioJob {
  readonly tier?: "small" | "medium" | "large"
  readonly goal?: string
  readonly enrichWeb?: boolean
}

/** A PENDING job as the API would have admitted it (routing snapshot from `model_routing`). */
export const insertPendingJob = (job: NewScenarioJob = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const users = yield* sql<{ id: number }>`INSERT INTO users (name) VALUES (${`scenario-${Math.random()}`}) RETURNING id`
    const tier = job.tier ?? "small"
    const rows = yield* sql<{ id: JobId }>`INSERT INTO simulation_jobs
      (user_id, seed_text, goal, tier, enrich_web, forecast_days, status, routing, last_event_seq)
      SELECT ${users[0]!.id}, 'The council votes on the tram line on Tuesday.', ${job.goal ?? "Will the tram line be approved?"},
        ${tier}, ${job.enrichWeb ?? false}, 30, 'PENDING',
        jsonb_build_object('sim_tier', sim_tier, 'model_id', model_id, 'gpu_type', gpu_type, 'max_rounds', max_rounds,
          'target_agents', target_agents, 'vllm_args', vllm_args), 1
      FROM model_routing WHERE sim_tier = ${tier} RETURNING id`
    const id = rows[0]!.id
    yield* sql`INSERT INTO job_events (job_id, seq, kind, data) VALUES (${id}, 1, 'status', '{"to":"PENDING"}'::jsonb)`
    return id
  }).pipe(Effect.orDie)

export const jobRow = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{
      status: JobStatus
      error_message: string | null
      pipeline_stage: number | null
      sim_data_available: boolean
      result_report: string | null
      key_insight: string | null
      provision_seconds: number | null
      pipeline_seconds: number | null
      gpu_cost_usd: number | null
      markets_config: unknown
    }>`SELECT status, error_message, pipeline_stage, sim_data_available, result_report, key_insight, provision_seconds,
        pipeline_seconds, gpu_cost_usd, markets_config FROM simulation_jobs WHERE id = ${id}`
    return rows[0]!
  }).pipe(Effect.orDie)

/** The statuses the job went through, in order, from its events. */
export const statusHistory = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ to: JobStatus }>`SELECT data->>'to' AS to FROM job_events
      WHERE job_id = ${id} AND kind = 'status' ORDER BY seq`
    return rows.map((row) => row.to)
  }).pipe(Effect.orDie)

export const podRows = (id: JobId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ pod_id: string | null; name: string; gpu_type: string | null; terminated: boolean; termination_reason: string | null }>`
      SELECT pod_id, name, gpu_type, terminated_at IS NOT NULL AS terminated, termination_reason FROM pods
      WHERE job_id = ${id} ORDER BY id`
  }).pipe(Effect.orDie)

/**
 * Lets the program run until `done` holds (checked whenever the program is waiting), moving the simulated clock from
 * one pending sleep to the next. Returns the simulated seconds it took; dies past `limitSeconds` (default 4 h) of
 * simulated time, or at once when nothing runs and nothing sleeps, with what `explain` says about the state.
 */
export const advanceUntil = <R, R2 = never>(
  done: Effect.Effect<boolean, never, R>,
  options: { readonly limitSeconds?: number; readonly explain?: Effect.Effect<string, never, R2> } = {}
) => SimulatedTime.use((time) => time.advanceUntil(done, `${options.limitSeconds ?? 4 * 3600} seconds`, options.explain))

/** Lets the program run for `seconds` of simulated time. */
export const advanceBy = (seconds: number) => SimulatedTime.use((time) => time.advanceBy(`${seconds} seconds`))

/** Starts the job's workflow and runs the clock until both workflows are over and the job is terminal. */
export const runJob = (id: JobId, options: { readonly limitSeconds?: number } = {}) =>
  Effect.gen(function*() {
    yield* SimulationWorkflow.execute({ job_id: id }, { discard: true })
    const executionId = yield* SimulationWorkflow.executionId({ job_id: id })
    const workflowState = Effect.map(SimulationWorkflow.poll(executionId), (poll) =>
      Option.isNone(poll) ? "not started" :
      poll.value._tag === "Suspended" ? "suspended" :
      Exit.isSuccess(poll.value.exit) ? "complete" : `failed: ${Cause.pretty(poll.value.exit.cause)}`)
    return yield* advanceUntil(
      Effect.gen(function*() {
        return isTerminal((yield* jobRow(id)).status) && (yield* workflowState) === "complete"
      }),
      {
        ...options,
        explain: Effect.gen(function*() {
          return `job ${id} is ${(yield* jobRow(id)).status}; its simulation workflow is ${yield* workflowState}`
        })
      }
    )
  })

/** The fake provider's ledger: the pods it created, the terminations it was asked for, and the pods still up. */
export const podLedger = Effect.gen(function*() {
  const fake = yield* FakePods
  const ledger = yield* fake.ledger
  const created = ledger.filter((entry) => entry.op === "create").map((entry) => entry.pod_id)
  const terminated = ledger.filter((entry) => entry.op === "terminate").map((entry) => entry.pod_id)
  const live = (yield* fake.pods).filter((pod) => pod.terminated_at === null)
  return { created, terminated, live }
})

/** Asserts the pod invariants every scenario must keep: each created pod terminated exactly once, none left up. */
export const assertPodInvariants = Effect.gen(function*() {
  const { created, terminated, live } = yield* podLedger
  const counts = new Map<string | null, number>()
  for (const id of terminated) counts.set(id, (counts.get(id) ?? 0) + 1)
  const problems = [
    ...created.filter((id) => counts.get(id) !== 1).map((id) => `pod ${id} terminated ${counts.get(id) ?? 0} times`),
    ...live.map((pod) => `pod ${pod.id} still running`)
  ]
  assert.deepStrictEqual(problems, [], "every created pod is terminated exactly once and none is left running")
})

/** Never two live pods at once: replays the ledger. */
export const maxConcurrentPods = Effect.gen(function*() {
  const fake = yield* FakePods
  let live = 0
  let max = 0
  for (const entry of yield* fake.ledger) {
    if (entry.op === "create") max = Math.max(max, ++live)
    if (entry.op === "terminate") live--
  }
  return max
})
