/** The five routes of the pod worker protocol (`docs/lifecycle.md`, "The pod worker protocol"). */
import { Effect, type Schema } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HealthReply, LogsReply, PartialChatReply, StatusReply } from "../../domain/pod-protocol.ts"
import { JobRunner } from "../job-runner.ts"
import { LlmClient } from "../llm-client.ts"
import { combinedTail } from "../logs.ts"
import { WorkerState } from "../state.ts"
import { AcceptableJob, AcceptedReply, ErrorReply, LogsQuery, PartialChatQuery } from "./replies.ts"

const reply = <S extends Schema.Codec<unknown, unknown>>(schema: S) => {
  const encode = HttpServerResponse.schemaJson(schema)
  return (body: S["Type"], status = 200) => encode(body, { status }).pipe(Effect.orDie)
}

const health = reply(HealthReply)
const status = reply(StatusReply)
const logs = reply(LogsReply)
const partialChat = reply(PartialChatReply)
const accepted = reply(AcceptedReply)
const error = reply(ErrorReply)

const badRequest = (what: string) => (cause: { readonly message: string }) => error({ error: `${what}: ${cause.message}` }, 400)

export const WorkerRoutes = HttpRouter.use((router) =>
  Effect.gen(function*() {
    const state = yield* WorkerState
    const llm = yield* LlmClient
    const runner = yield* JobRunner

    yield* router.add("GET", "/health", Effect.gen(function*() {
      const ready = yield* llm.ready
      const job = yield* state.current
      return yield* ready
        ? health({ status: "ok", vllm_ready: true, job_status: job.status })
        : health({ status: "waiting_for_vllm", vllm_ready: false, job_status: job.status }, 503)
    }))

    yield* router.add("POST", "/job", Effect.gen(function*() {
      const request = yield* HttpServerRequest.schemaBodyJson(AcceptableJob)
      const outcome = yield* runner.submit(request)
      return yield* outcome === "busy"
        ? error({ error: "A job is already running" }, 409)
        : accepted({ status: "accepted" })
    }).pipe(
      Effect.catchTags({
        SchemaError: badRequest("Invalid job request"),
        HttpServerError: badRequest("Unreadable job request")
      })
    ))

    yield* router.add("GET", "/status", Effect.gen(function*() {
      const job = yield* state.current
      switch (job.status) {
        case "completed":
          return yield* status({
            status: "completed",
            chat_log: job.chatLog,
            graph_data: job.graphData,
            structured: "{}",
            sim_data_uploaded: job.simDataUploaded
          })
        case "failed":
          return yield* status({ status: "failed", error: job.error })
        default:
          return yield* status({ status: job.status })
      }
    }))

    yield* router.add("GET", "/logs", Effect.gen(function*() {
      const query = yield* HttpServerRequest.schemaSearchParams(LogsQuery)
      const tail = yield* combinedTail(query.tail ?? 100, query.source ?? "all")
      const job = yield* state.current
      return yield* logs({ ...tail, job_status: job.status })
    }).pipe(Effect.catchTag("SchemaError", badRequest("Invalid query"))))

    yield* router.add("GET", "/partial_chat", Effect.gen(function*() {
      const query = yield* HttpServerRequest.schemaSearchParams(PartialChatQuery)
      const tail = query.tail ?? 20
      const entries = yield* state.chatSoFar
      return yield* partialChat({ messages: tail === 0 ? [] : entries.slice(-tail) })
    }).pipe(Effect.catchTag("SchemaError", badRequest("Invalid query"))))
  })
)
