/**
 * The artifacts a report is written from, read from the object store and decoded. Shared by the report writers:
 * the four files every simulation produces are required (`docs/lifecycle.md`, "The report"); market curves, profiles,
 * the social graph and the engagement summary only enrich the report (a part built from a missing one is empty or
 * computed from the required files). A file that is present but does not decode fails the report rather than being skipped,
 * because a report that silently ignored a corrupt market curve would state a wrong verdict.
 */
import { Effect, Option, Schema } from "effect"
import { LlmError } from "../../../services/llm-error.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { artifactSchemas, type SimDataFile, simDataKey } from "../../../src/domain/artifacts.ts"
import type { JobId } from "../../../src/domain/ids.ts"

type Decoded<F extends SimDataFile> = (typeof artifactSchemas)[F]["Type"]

export interface ReportArtifacts {
  readonly chatLog: Decoded<"chat_log.json">
  readonly posts: Decoded<"posts.json">
  readonly trades: Decoded<"trades.json">
  readonly trajectories: Decoded<"agent_trajectories.json">
  /** Absent when the pod uploaded none (a job without markets may have none). */
  readonly marketCurves: Decoded<"market_curves.json"> | undefined
  readonly profiles: Decoded<"profiles.json"> | undefined
  /** Follow and reply edges; without it they are read from the chat log and the posts. */
  readonly socialGraph: Decoded<"social_graph.json"> | undefined
  /** The pod's own counts; without it the simulation's scale is counted from the required files. */
  readonly engagementSummary: Decoded<"engagement_summary.json"> | undefined
}

/** Long schema messages are cut: the file name and the first problem are what an operator needs. */
const brief = (message: string) => (message.length > 300 ? `${message.slice(0, 299)}…` : message)

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The decoded file, or None when it is not in the store. */
const readArtifact = Effect.fn("readArtifact")(function*<F extends SimDataFile>(jobId: JobId, file: F) {
  const store = yield* ObjectStore
  const bytes = yield* store.get(simDataKey(jobId, file)).pipe(
    // The store being unreachable says nothing about the artifacts: worth trying again later.
    Effect.mapError((e) => new LlmError({ kind: "transient", message: `cannot read ${file}: ${e.message}` }))
  )
  if (Option.isNone(bytes)) return Option.none<Decoded<F>>()
  const text = yield* Effect.try({
    try: () => utf8.decode(bytes.value),
    catch: () => new LlmError({ kind: "permanent", message: `${file} is not valid UTF-8` })
  })
  const schema: Schema.Codec<Decoded<F>, unknown> = Schema.fromJsonString(artifactSchemas[file])
  const decoded = yield* Schema.decodeUnknownEffect(schema)(text).pipe(
    Effect.mapError((e) => new LlmError({ kind: "permanent", message: `${file} does not decode: ${brief(e.message)}` }))
  )
  return Option.some(decoded)
})

const requireArtifact = <F extends SimDataFile>(jobId: JobId, file: F) =>
  readArtifact(jobId, file).pipe(
    Effect.flatMap(Option.match({
      onNone: () =>
        Effect.fail(new LlmError({ kind: "permanent", message: `required artifact ${file} is missing for job ${jobId}` })),
      onSome: Effect.succeed
    }))
  )

const optionalArtifact = <F extends SimDataFile>(jobId: JobId, file: F) =>
  readArtifact(jobId, file).pipe(Effect.map(Option.getOrUndefined))

export const loadReportArtifacts = Effect.fn("loadReportArtifacts")(function*(jobId: JobId) {
  const [chatLog, posts, trades, trajectories, marketCurves, profiles, socialGraph, engagementSummary] = yield* Effect.all([
    requireArtifact(jobId, "chat_log.json"),
    requireArtifact(jobId, "posts.json"),
    requireArtifact(jobId, "trades.json"),
    requireArtifact(jobId, "agent_trajectories.json"),
    optionalArtifact(jobId, "market_curves.json"),
    optionalArtifact(jobId, "profiles.json"),
    optionalArtifact(jobId, "social_graph.json"),
    optionalArtifact(jobId, "engagement_summary.json")
  ])
  const artifacts: ReportArtifacts = {
    chatLog,
    posts,
    trades,
    trajectories,
    marketCurves,
    profiles,
    socialGraph,
    engagementSummary
  }
  return artifacts
})
