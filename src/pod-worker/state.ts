/**
 * The worker's one job: idle, running, completed with its results, or failed with its error (`docs/lifecycle.md`, "The
 * pod worker protocol":
 * one job per pod, a new job replaces a finished one). Finished states are written to `last-job.json` so a
 * restarted worker still answers `/status` for them; a job that was running when the process died cannot be
 * resumed, so it comes back as idle (the orchestrator then submits it again).
 */
import * as NodePath from "node:path"
import { Context, Effect, FileSystem, Layer, type PlatformError, Ref, Schema } from "effect"
import { ChatEntry } from "../domain/artifacts.ts"
import { WorkerJobStatus } from "../domain/pod-protocol.ts"
import { PodWorkerHome } from "./home.ts"

export type JobState =
  | { readonly status: "idle" }
  | { readonly status: "running" }
  | {
    readonly status: "completed"
    /** JSON text of the chat log and the entity graph, as `/status` returns them. */
    readonly chatLog: string
    readonly graphData: string
    readonly simDataUploaded: boolean
  }
  | { readonly status: "failed"; readonly error: string }

export type FinishedState = Extract<JobState, { readonly status: "completed" | "failed" }>

const LastJob = Schema.Struct({
  status: WorkerJobStatus,
  error: Schema.optionalKey(Schema.String),
  sim_data_uploaded: Schema.optionalKey(Schema.Boolean)
})
const LastJobJson = Schema.fromJsonString(LastJob)

export class WorkerState extends Context.Service<WorkerState, {
  readonly current: Effect.Effect<JobState>
  /** Moves to running unless a job runs already; false when it does. */
  readonly tryStart: Effect.Effect<boolean>
  readonly finish: (state: FinishedState) => Effect.Effect<void>
  /** The chat log so far (`/partial_chat`). */
  readonly chatSoFar: Effect.Effect<ReadonlyArray<ChatEntry>>
  readonly setChatSoFar: (entries: ReadonlyArray<ChatEntry>) => Effect.Effect<void>
}>()("fishcloud/pod-worker/WorkerState") {}

const isNotFound = (error: PlatformError.PlatformError) => error.reason._tag === "NotFound"

export const WorkerStateLive = Layer.effect(WorkerState, Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const { lastJobFile, resultsDir } = yield* PodWorkerHome

  const save = (value: typeof LastJob.Type) =>
    Schema.encodeEffect(LastJobJson)(value).pipe(
      Effect.flatMap((text) => fs.writeFileString(lastJobFile, text)),
      Effect.catch((error) => Effect.logWarning(`pod worker: could not write ${lastJobFile}: ${error.message}`))
    )

  const restore = Effect.gen(function*() {
    const text = yield* fs.readFileString(lastJobFile)
    const last = yield* Schema.decodeEffect(LastJobJson)(text)
    switch (last.status) {
      case "completed": {
        const chatLog = yield* fs.readFileString(NodePath.join(resultsDir, "chat_log.json"))
        const graphData = yield* fs.readFileString(NodePath.join(resultsDir, "graph_data.json"))
        return { status: "completed", chatLog, graphData, simDataUploaded: last.sim_data_uploaded ?? false } as const
      }
      case "failed":
        return { status: "failed", error: last.error ?? "unknown error" } as const
      case "running":
        yield* Effect.logWarning("pod worker: the previous process stopped while a job was running; the job is lost")
        return { status: "idle" } as const
      case "idle":
        return { status: "idle" } as const
    }
  }).pipe(
    Effect.catch((error) =>
      (error._tag === "PlatformError" && isNotFound(error)
        ? Effect.void
        : Effect.logWarning(`pod worker: could not restore the last job: ${error.message}`)).pipe(
          Effect.as<JobState>({ status: "idle" })
        )
    )
  )

  const state = yield* Ref.make<JobState>(yield* restore)
  const chat = yield* Ref.make<ReadonlyArray<ChatEntry>>([])
  if ((yield* Ref.get(state)).status === "completed") {
    const entries = yield* fs.readFileString(NodePath.join(resultsDir, "chat_log.json")).pipe(
      Effect.flatMap(Schema.decodeEffect(Schema.fromJsonString(Schema.Array(ChatEntry)))),
      Effect.catch((error) => Effect.logWarning(`pod worker: could not read the last chat log: ${error.message}`).pipe(Effect.as<ReadonlyArray<ChatEntry>>([])))
    )
    yield* Ref.set(chat, entries)
  }

  return WorkerState.of({
    current: Ref.get(state),
    tryStart: Effect.gen(function*() {
      const started = yield* Ref.modify(state, (s): readonly [boolean, JobState] =>
        s.status === "running" ? [false, s] : [true, { status: "running" }]
      )
      if (started) {
        yield* Ref.set(chat, [])
        yield* save({ status: "running" })
      }
      return started
    }),
    finish: (finished) =>
      Effect.gen(function*() {
        yield* Ref.set(state, finished)
        yield* save(
          finished.status === "completed"
            ? { status: "completed", sim_data_uploaded: finished.simDataUploaded }
            : { status: "failed", error: finished.error }
        )
      }),
    chatSoFar: Ref.get(chat),
    setChatSoFar: (entries) => Ref.set(chat, entries)
  })
}))
