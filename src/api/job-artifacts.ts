/**
 * Reading a job's simulation artifacts back from the object store for the API (graph, curves, share page, PDF).
 * The pod wrote them, so they are checked against their schema like any input: one that does not decode is logged
 * and answered as not available rather than as a server error.
 */
import { Effect, Option, Schema } from "effect"
import { ObjectStore } from "../../services/object-store.ts"
import { artifactSchemas, type SimDataFile, simDataKey } from "../domain/artifacts.ts"
import type { JobId } from "../domain/ids.ts"
import { socialGraphView } from "../domain/social-graph-view.ts"

type Artifact<F extends SimDataFile> = (typeof artifactSchemas)[F]["Type"]

const readArtifact = Effect.fn("Artifacts.read")(function*<F extends SimDataFile>(jobId: JobId, file: F) {
  const objects = yield* ObjectStore
  const bytes = yield* objects.get(simDataKey(jobId, file)).pipe(Effect.orDie)
  if (Option.isNone(bytes)) return Option.none<Artifact<F>>()
  const schema = Schema.fromJsonString(artifactSchemas[file] as Schema.Codec<Artifact<F>, unknown>)
  const decoded = yield* Schema.decodeUnknownEffect(schema)(new TextDecoder().decode(bytes.value)).pipe(Effect.result)
  if (decoded._tag === "Success") return Option.some(decoded.success)
  yield* Effect.logWarning(`job ${jobId}: ${file} does not match its schema; answered as not available`, decoded.failure.message)
  return Option.none<Artifact<F>>()
})

/** The job's social graph with activity and stances, or none when the simulation left no graph. */
export const graphOf = Effect.fn("Artifacts.graph")(function*(jobId: JobId) {
  const [graph, chatLog, profiles] = yield* Effect.all([
    readArtifact(jobId, "social_graph.json"),
    readArtifact(jobId, "chat_log.json"),
    readArtifact(jobId, "profiles.json")
  ], { concurrency: 3 })
  return Option.map(graph, (graph) => socialGraphView(graph, Option.getOrElse(chatLog, () => []), Option.getOrElse(profiles, () => [])))
})

/** The markets' price curves, or none when the simulation left none. */
export const curvesOf = (jobId: JobId) => readArtifact(jobId, "market_curves.json")
