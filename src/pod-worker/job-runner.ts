/**
 * One job on the pod, from `POST /job` to `completed` or `failed`: the stages the orchestrator watches for in the
 * logs (`[stage] Generating ontology`, `[stage] Building entity graph`, `[stage] Running simulation`, one
 * `round=N/T` line per round, `[stage] preparing sim data artifacts`, then a summary JSON line with
 * `report_pending`), the artifacts written and uploaded, all within `timeout_seconds` (the uploads excepted: a
 * finished simulation is worth its upload retries). The job runs in a background fiber owned by the server's scope:
 * stopping the worker interrupts it.
 */
import { Cause, Context, Data, Duration, Effect, FiberHandle, Layer } from "effect"
import { simDataFiles } from "../domain/artifacts.ts"
import type { JobRequest } from "../domain/pod-protocol.ts"
import { buildArtifacts, encodeArtifacts, graphData, writeArtifacts } from "./pod-artifacts.ts"
import { PodWorkerSettings } from "./pod-worker-config.ts"
import { PodWorkerHome } from "./home.ts"
import { LlmClient } from "./llm-client.ts"
import { PipelineLog } from "./logs.ts"
import { makeAgents } from "./simulation/agents.ts"
import { runSimulation } from "./simulation/simulation-engine.ts"
import { buildEntityGraph } from "./simulation/entities.ts"
import { type Policy, PolicyError } from "./simulation/agent-policy.ts"
import { llmPolicy } from "./simulation/policy-llm.ts"
import { offlinePolicy } from "./simulation/policy-offline.ts"
import { hashString, streamFor } from "./simulation/prng.ts"
import { IdleWatch } from "./idle-watch.ts"
import { WorkerState } from "./state.ts"
import { uploadArtifacts } from "./uploads.ts"

class JobTimedOut extends Data.TaggedError("JobTimedOut")<{ readonly message: string }> {}

/** The PRNG seed of a job: `random_seed`, else a hash of the seed text. */
const jobSeed = (request: JobRequest) => request.random_seed ?? hashString(request.seed_text)

const pause = Effect.gen(function*() {
  const { roundDelayMs } = yield* PodWorkerSettings
  if (roundDelayMs > 0) yield* Effect.sleep(Duration.millis(roundDelayMs))
})

const makePolicy = Effect.fn("PodWorker.makePolicy")(function*(seed: number) {
  const llm = yield* LlmClient
  const log = yield* PipelineLog
  const settings = yield* PodWorkerSettings
  if (!llm.enabled) return offlinePolicy(streamFor(seed, "policy"))
  const model = yield* llm.model.pipe(
    Effect.mapError((error) => new PolicyError({ message: `LLM backend: ${error.detail}` }))
  )
  yield* log.append(`llm policy: model=${model} concurrency=${settings.llmConcurrency}`)
  return llmPolicy({ model, concurrency: settings.llmConcurrency, seed, chat: llm.chat, log: log.append })
})

/** Stages 1-4: everything up to the artifacts on disk. */
const simulate = Effect.fn("PodWorker.simulate")(function*(request: JobRequest) {
  const log = yield* PipelineLog
  const state = yield* WorkerState
  const { resultsDir } = yield* PodWorkerHome
  const seed = jobSeed(request)

  yield* log.append("[stage] Generating ontology")
  const graph = buildEntityGraph(request.seed_text, request.target_agents)
  yield* log.append(
    `ontology: ${graph.entities.length} entities from ${graph.sentences} sentences; ${request.markets_config.length} markets`
  )
  yield* pause

  yield* log.append("[stage] Building entity graph")
  const agents = makeAgents(graph.entities, request.markets_config, request.target_agents, streamFor(seed, "agents"))
  const fromSeed = agents.filter((a) => a.entityId !== null).length
  yield* log.append(`entity graph: ${graph.entities.length} nodes, ${graph.edges.length} co-mention edges`)
  yield* log.append(`agents: ${agents.length} (${fromSeed} from the seed, ${agents.length - fromSeed} generated)`)
  const policy: Policy = yield* makePolicy(seed)
  yield* pause

  yield* log.append(`[stage] Running simulation (${policy.kind} policy, seed ${seed})`)
  const result = yield* runSimulation(
    { goal: request.goal, markets: request.markets_config, agents, rounds: request.max_rounds },
    policy,
    streamFor(seed, "order"),
    (round) =>
      Effect.gen(function*() {
        yield* log.append(
          `round=${round.round}/${round.totalRounds} posts=${round.posts} replies=${round.replies} follows=${round.follows} ` +
            `trades=${round.trades} likes=${round.likes}` +
            (round.prices.length > 0 ? ` prices=${round.prices.map((p) => p.toFixed(3)).join(",")}` : "")
        )
        yield* state.setChatSoFar(round.chatLog.slice())
        if (policy.kind === "offline") yield* pause
      })
  )

  yield* log.append("[stage] preparing sim data artifacts")
  const files = yield* encodeArtifacts(buildArtifacts(result, graph))
  const graphJson = JSON.stringify(graphData(result, graph))
  yield* writeArtifacts(resultsDir, files, graphJson)
  yield* log.append(`artifacts: ${files.length} files written`)
  const chatLog = files.find(([file]) => file === "chat_log.json")?.[1] ?? "[]"
  return { files, chatLog, graphJson, result }
})

const failureText = (cause: Cause.Cause<{ readonly message: string }>): string => {
  const error = Cause.squash(cause)
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message.length > 0 ? error.message : String(error)
  }
  return String(error)
}

/** Runs a job to its end and records the outcome; never fails (a failure is the job's `failed` state). */
const runJob = Effect.fn("PodWorker.runJob")(function*(request: JobRequest) {
  const log = yield* PipelineLog
  const state = yield* WorkerState
  yield* simulate(request).pipe(
    Effect.timeoutOrElse({
      duration: Duration.seconds(request.timeout_seconds),
      orElse: () => Effect.fail(new JobTimedOut({ message: `Job timed out after ${request.timeout_seconds}s` }))
    }),
    Effect.flatMap(({ files, chatLog, graphJson, result }) =>
      Effect.gen(function*() {
        const outcomes = yield* uploadArtifacts(files, request.upload_urls)
        const uploaded = outcomes.filter((o) => o.uploaded).length
        const simDataUploaded = uploaded === simDataFiles.length
        yield* log.append(`uploads: ${uploaded}/${simDataFiles.length} files uploaded`)
        yield* log.append(JSON.stringify({
          status: "done",
          report_pending: true,
          rounds: result.rounds,
          agents: result.agents.length,
          posts: result.posts.length,
          trades: result.trades.length,
          sim_data_uploaded: simDataUploaded
        }))
        yield* state.finish({ status: "completed", chatLog, graphData: graphJson, simDataUploaded })
      })
    ),
    Effect.catchCause((cause) => {
      // Interrupted: the worker is stopping; the job is neither completed nor failed.
      if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
      const error = failureText(cause)
      return Effect.gen(function*() {
        yield* log.append(`job failed: ${error}`)
        yield* state.finish({ status: "failed", error })
      })
    })
  )
})

type JobServices = Effect.Services<ReturnType<typeof runJob>>

/** Starts jobs in the background, one at a time. */
export class JobRunner extends Context.Service<JobRunner, {
  /** `busy` while a job runs (409); else the job starts and replaces the last one's state. */
  readonly submit: (request: JobRequest) => Effect.Effect<"accepted" | "busy">
}>()("fishcloud/pod-worker/JobRunner") {}

export const JobRunnerLive = Layer.effect(JobRunner, Effect.gen(function*() {
  const state = yield* WorkerState
  const log = yield* PipelineLog
  const idle = yield* IdleWatch
  const handle = yield* FiberHandle.make<void, never>()
  const services = yield* Effect.context<JobServices>()
  return JobRunner.of({
    submit: (request) =>
      Effect.gen(function*() {
        if (!(yield* state.tryStart)) return "busy" as const
        yield* log.reset
        // The job's end starts the dead-man's switch's idle window (idle-rule.ts).
        yield* FiberHandle.run(handle, runJob(request).pipe(Effect.ensuring(idle.jobEnded), Effect.provideContext(services)))
        return "accepted" as const
      })
  })
}))
