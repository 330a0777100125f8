/**
 * The lifecycle as the service runs it: the workflow engine for the process role, the two workflows with the pod
 * provider, the LLM steps and the time scale, and `JobLifecycle` for the API. Part of the composition root: it picks
 * implementations from the settings; `src/server.ts` picks what a role needs.
 */
import { Effect, Layer, Option, Schedule } from "effect"
import { ShardId, Sharding, ShardingConfig } from "effect/cluster"
import { Settings } from "../config.ts"
import { Readiness } from "../readiness.ts"
import { TimeScale } from "../domain/time-scale.ts"
import { EnrichmentWorkflowLive } from "../lifecycle/enrichment-workflow.ts"
import { ReportWorkflowLive } from "../lifecycle/report-workflow.ts"
import { SimulationWorkflowLive } from "../lifecycle/simulation-workflow.ts"
import { RunWatcherLive } from "../lifecycle/run-watcher.ts"
import { JobJournalLive } from "../../layers/db/job-journal.ts"
import { LlmUsageRecorderLive } from "../../layers/db/llm-usage.ts"
import { OfflineEnricherLive } from "../../layers/llm/offline/offline-enricher.ts"
import { anthropicApiKey } from "../../layers/llm/anthropic/anthropic-config.ts"
import { XaiLive } from "../../layers/llm/xai/xai-live.ts"
import { xaiApiKey } from "../../layers/llm/xai/xai-config.ts"
import { OfflineMarketDeriverLive } from "../../layers/llm/offline/offline-market-deriver.ts"
import { OfflineReportWriterLive } from "../../layers/llm/offline/offline-report-writer.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { rememberedRunnerPort } from "../../layers/net/remembered-port.ts"
import { parseFaults } from "../../layers/pods/fake/fake-faults.ts"
import { FakePodsLive } from "../../layers/pods/fake/fake-pods.ts"
import { fakeStateFile } from "../../layers/pods/fake/fake-store.ts"
import { defaultWorkerEntry, makeLocalProvider } from "../../layers/pods/local/local-provider.ts"
import { RunPodProviderLive } from "../../layers/pods/runpod/runpod-provider-live.ts"
import { HttpPodWorkerClientLive } from "../../layers/pods/http-pod-worker-client.ts"
import type { ObjectStore } from "../../services/object-store.ts"
import { PodProvider, type PodProviderError } from "../../services/pod-provider.ts"
import type { PodWorkerClient } from "../../services/pod-worker-client.ts"
import { type Role, WorkflowEngineLive } from "../../layers/lifecycle/workflow-engine.ts"
import { JobLifecycleLive } from "../lifecycle/job-lifecycle.ts"
import { MaintenanceCronLive } from "../lifecycle/maintenance/maintenance-cron.ts"
import { AlertsLive } from "../../layers/alerts/webhook-alerts.ts"
import { MaintenanceStoreLive } from "../../layers/db/maintenance-store.ts"
import { BoundedPodProvider } from "../lifecycle/bounded-provider.ts"

/** The pod provider and worker client chosen by POD_PROVIDER. */
type PodsLayer = Layer.Layer<PodProvider | PodWorkerClient, PodProviderError | Error, Settings | ObjectStore>

const ChosenPodsLive = Layer.unwrap(Effect.gen(function*(): Effect.fn.Return<PodsLayer, Error, Settings> {
  const settings = yield* Settings
  switch (settings.podProvider) {
    case "local":
      return Layer.merge(
        Layer.effect(PodProvider, makeLocalProvider({ home: settings.home, workerEntry: defaultWorkerEntry, llmBaseUrl: settings.localPodLlmUrl })),
        HttpPodWorkerClientLive
      )
    case "runpod":
      return Layer.merge(RunPodProviderLive, HttpPodWorkerClientLive)
    case "fake": {
      const faults = yield* parseFaults(settings.fakePodFaults).pipe(
        Effect.mapError((error) => new Error(`FAKE_POD_FAULTS: ${error.message}`))
      )
      return FakePodsLive({
        faults,
        faultSeed: Option.getOrUndefined(settings.fakePodFaultSeed),
        scale: settings.timeScale,
        stateFile: fakeStateFile(settings.home)
      })
    }
  }
}))

/** The chosen provider, its calls bounded per process (`src/lifecycle/bounded-provider.ts`). */
const PodsLive = BoundedPodProvider.pipe(Layer.provideMerge(ChosenPodsLive))

/**
 * xAI for enrichment and markets when XAI_API_KEY is set, Anthropic for the report when ANTHROPIC_API_KEY is set,
 * the offline steps otherwise; usage is recorded per job.
 */
const LlmLive = Layer.unwrap(Effect.gen(function*() {
  const xai = yield* xaiApiKey
  const anthropic = yield* anthropicApiKey
  return Layer.mergeAll(
    Option.isSome(xai) ? XaiLive : Layer.merge(OfflineEnricherLive, OfflineMarketDeriverLive),
    // The Anthropic SDK is loaded only with a key.
    Option.isSome(anthropic)
      ? Layer.unwrap(Effect.map(Effect.promise(() => import("../../layers/llm/anthropic/anthropic-report-writer.ts")), (module) => module.AnthropicReportWriterLive))
      : OfflineReportWriterLive
  ).pipe(Layer.provide(LlmUsageRecorderLive))
}))

const TimeScaleLive = Layer.effect(TimeScale, Effect.map(Settings, (settings) => settings.timeScale))

const EngineLive = (role: Role) =>
  Layer.unwrap(Effect.gen(function*() {
    const settings = yield* Settings
    // RUNNER_PORT 0: a single-process service comes back at its last address after a crash (and takes its jobs up
    // at once); split runners, which may share a home, pick any free port.
    const runnerPort = settings.runnerPort !== 0
      ? settings.runnerPort
      : role === "all"
      ? yield* rememberedRunnerPort(settings.home, settings.runnerHost)
      : yield* freeLoopbackPort
    return WorkflowEngineLive({ role, runnerHost: settings.runnerHost, runnerPort })
  }))

/** The workflows this process runs (roles `all` and `runner`), and the watcher of their runs. */
const WorkflowsLive = Layer.mergeAll(SimulationWorkflowLive, ReportWorkflowLive, EnrichmentWorkflowLive).pipe(
  Layer.provideMerge(RunWatcherLive),
  Layer.provide(Layer.mergeAll(PodsLive, LlmLive, TimeScaleLive, AlertsLive))
)

/** What a maintenance pass asks for: the provider, its store, alerts and the time scale. */
const MaintenanceDependenciesLive = Layer.mergeAll(PodsLive, TimeScaleLive, AlertsLive, MaintenanceStoreLive)

/** The orphan-pod reaper and the stale-job detector as a cluster cron (roles `all` and `runner`). */
const MaintenanceLive = Layer.unwrap(Effect.map(Settings, (settings) => MaintenanceCronLive(settings.maintenanceEveryMinutes))).pipe(
  Layer.provide(MaintenanceDependenciesLive)
)

/**
 * Readiness (`src/readiness.ts`): a process that runs workflows is ready once the cluster has given it shards; until
 * then, it would run none of the jobs sent to it.
 */
const RunnerRegistration = Layer.effectDiscard(Effect.gen(function*() {
  const readiness = yield* Readiness
  const sharding = yield* Sharding.Sharding
  // The engine keeps the default shard groups and counts (`layers/lifecycle/workflow-engine.ts` sets only timings
  // and addresses).
  const config = ShardingConfig.defaults
  const shards = config.assignedShardGroups.flatMap((group) =>
    Array.from({ length: config.shardsPerGroup }, (_, i) => ShardId.make(group, i + 1)))
  const holdsShards = Effect.sync(() => shards.some((shard) => sharding.hasShardId(shard)))
  yield* holdsShards.pipe(
    Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (held) => held }),
    Effect.andThen(readiness.done("runner registration")),
    Effect.forkScoped
  )
}))

/** `JobLifecycle` and `JobJournal` (and, for roles that run workflows, the workflows and maintenance) on the engine for `role`. */
export const LifecycleLive = (role: Role) =>
  (role === "api" ? JobLifecycleLive : Layer.mergeAll(JobLifecycleLive, WorkflowsLive, MaintenanceLive, RunnerRegistration)).pipe(
    Layer.provideMerge(Layer.merge(EngineLive(role), JobJournalLive))
  )

/**
 * What `fishcloud maintenance run` needs to run one pass from the command line: the engine as a client (to ask about
 * executions), the journal, and the maintenance dependencies.
 */
export const MaintenanceCommandLive = MaintenanceDependenciesLive.pipe(
  Layer.provideMerge(Layer.merge(EngineLive("api"), JobJournalLive))
)
