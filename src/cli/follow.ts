/**
 * `submit --wait` and `status --follow`: renders a job's event stream (`GET /api/jobs/:id/events`) as progress lines
 * until the job ends, then prints its final status and GPU cost. One line per status change, stage change and pod
 * event, `round 7/15` for progress; on a terminal the round line is redrawn in place, a pipe gets plain lines.
 *
 * A dropped stream is reopened with `Last-Event-ID` (up to `maxReconnects` failures in a row, `waitInterval` apart).
 * A server without the events route (an older fishcloud) is polled instead, printing status and stage changes.
 */
import { Console, Data, Effect, Option, Redacted, Ref, Schedule, Schema, Stream } from "effect"
import { Sse } from "effect/encoding"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import type { JobId } from "../domain/ids.ts"
import type { Job } from "../domain/job.ts"
import { JobEvent } from "../domain/job-event.ts"
import { isTerminal } from "../domain/status.ts"
import { request } from "./api-client.ts"
import { Connection, requireToken } from "./connection.ts"
import { CliFailure, describeError } from "./cli-errors.ts"
import { progressLine } from "./format.ts"

/** Failed attempts in a row (reconnects of a dropped stream, or polls) before giving up. */
const maxReconnects = 5

const decodeData = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))
const decodeEvent = Schema.decodeUnknownOption(JobEvent)

const money = (usd: number) => `$${usd.toFixed(2)}`

/** What a user sees for one event; `progress` marks the round line a terminal redraws in place. */
const renderEvent = (id: JobId, event: JobEvent): { readonly line: string; readonly progress: boolean } | undefined => {
  const prefix = `job ${id}: `
  switch (event.kind) {
    case "status": {
      const { to, error } = event.data
      return { line: `${prefix}${to}${error === undefined ? "" : ` (${error})`}`, progress: false }
    }
    case "stage":
      return { line: `${prefix}stage ${event.data.stage}`, progress: false }
    case "progress": {
      const { round, max_rounds } = event.data
      return round === null ? undefined : { line: `${prefix}round ${round}${max_rounds === null ? "" : `/${max_rounds}`}`, progress: true }
    }
    case "pod": {
      const pod = event.data
      const details = pod.event === "terminated"
        ? [pod.reason]
        : pod.event === "terminate_failed"
        ? [pod.reason, pod.error]
        : pod.event === "created" ? [pod.gpu_type, `${money(pod.cost_per_hour)}/h`] : []
      return { line: `${prefix}pod ${pod.pod_id} ${pod.event}${details.length === 0 ? "" : ` (${details.join(", ")})`}`, progress: false }
    }
    case "cost":
      return { line: `${prefix}GPU cost ${money(event.data.gpu_cost_usd)}`, progress: false }
  }
}

/** Prints lines; on a terminal a round line is overwritten by the next line instead of scrolling. */
const makePrinter = Effect.gen(function*() {
  const tty = process.stdout.isTTY === true
  const roundShown = yield* Ref.make(false)
  return (rendered: { readonly line: string; readonly progress: boolean }) =>
    Effect.gen(function*() {
      if (!tty) return yield* Console.log(rendered.line)
      const clear = (yield* Ref.getAndSet(roundShown, rendered.progress)) ? "\r\u001b[2K" : ""
      yield* Effect.sync(() => process.stdout.write(`${clear}${rendered.line}${rendered.progress ? "" : "\n"}`))
    })
})

/** Why the stream could not be used. */
type Opened =
  | { readonly _tag: "Stream"; readonly events: Stream.Stream<Sse.Event, Error> }
  | { readonly _tag: "Unsupported" }

const ProblemType = Schema.Struct({ type: Schema.optional(Schema.String), detail: Schema.optional(Schema.String) })

/** Opens the stream after `after`; a job-level refusal (401, 404 job) fails with the server's words. */
const open = Effect.fn("cli.openEvents")(function*(id: JobId, after: number) {
  const { baseUrl } = yield* Connection
  const token = yield* requireToken
  const client = yield* HttpClient.HttpClient
  const response = yield* client.execute(
    HttpClientRequest.get(`${baseUrl}/api/jobs/${id}/events`).pipe(
      HttpClientRequest.bearerToken(Redacted.value(token)),
      HttpClientRequest.setHeader("accept", "text/event-stream"),
      after > 0 ? HttpClientRequest.setHeader("last-event-id", String(after)) : (request) => request
    )
  )
  if (response.status === 200) {
    const events = response.stream.pipe(
      Stream.decodeText,
      Stream.pipeThroughChannel(Sse.decode()),
      Stream.mapError((error): Error => error instanceof Error ? error : new Error(String(error)))
    )
    return { _tag: "Stream", events } satisfies Opened as Opened
  }
  const body = yield* response.json.pipe(
    Effect.flatMap(Schema.decodeUnknownEffect(ProblemType)),
    Effect.orElseSucceed(() => ({ type: undefined, detail: undefined }))
  )
  if (response.status === 404 && body.type !== "urn:fishcloud:problem:job-not-found") {
    return { _tag: "Unsupported" } satisfies Opened as Opened
  }
  return yield* new CliFailure({ message: body.detail ?? `fishcloud at ${baseUrl} answered HTTP ${response.status}` })
})

/** A dropped stream that may be reopened. */
class Retryable extends Data.TaggedError("Retryable")<{}> {}

const isTransportError = (error: unknown) =>
  HttpClientError.isHttpClientError(error) && error.reason._tag === "TransportError"

/**
 * The fallback for a server without the events route: polls the job every `waitInterval`, printing each status or
 * stage change, until it is terminal. A few connection failures in a row are tolerated.
 */
const pollToEnd = Effect.fn("cli.pollToEnd")(function*(id: JobId, shown: string | undefined) {
  const { waitInterval } = yield* Connection
  const printed = yield* Ref.make(shown)
  const poll = request((client) =>
    client.jobs.get({ params: { id } }).pipe(
      Effect.retry({ while: isTransportError, times: maxReconnects, schedule: Schedule.spaced(waitInterval) })
    )
  ).pipe(Effect.tap((job: Job) =>
    Effect.gen(function*() {
      const line = progressLine(job)
      if (line !== (yield* Ref.getAndSet(printed, line))) yield* Console.log(line)
    })
  ))
  return yield* poll.pipe(Effect.repeat({ schedule: Schedule.spaced(waitInterval), until: (job) => isTerminal(job.status) }))
})

/**
 * Follows job `id` from after event `after` until it ends; prints the final status and GPU cost, and fails with
 * `job N ended STATUS: reason` unless it COMPLETED. `shown` is the status line already printed (for the fallback).
 */
export const followJob = Effect.fn("cli.followJob")(function*(id: JobId, after: number, shown?: string) {
  const { waitInterval, baseUrl } = yield* Connection
  const print = yield* makePrinter
  const lastId = yield* Ref.make(after)
  const ended = yield* Ref.make(false)
  const failures = yield* Ref.make(0)

  const consume = (events: Stream.Stream<Sse.Event, Error>) =>
    events.pipe(Stream.runForEach((event) =>
      Effect.gen(function*() {
        const seq = Number(event.id)
        if (Number.isInteger(seq)) yield* Ref.set(lastId, seq)
        yield* Ref.set(failures, 0)
        // An event this CLI does not know (a newer server) is skipped, not fatal.
        const decoded = decodeEvent({ kind: event.event, data: Option.getOrUndefined(decodeData(event.data)) })
        if (Option.isNone(decoded)) return
        if (decoded.value.kind === "status" && isTerminal(decoded.value.data.to)) yield* Ref.set(ended, true)
        const rendered = renderEvent(id, decoded.value)
        if (rendered !== undefined) yield* print(rendered)
      })
    ))

  /** One connection: `true` once the terminal event was seen, `false` when the route is missing (poll instead). */
  const attempt: Effect.Effect<boolean, Error, HttpClient.HttpClient | Connection> = Effect.gen(function*() {
    const opened = yield* open(id, yield* Ref.get(lastId))
    if (opened._tag === "Unsupported") return false
    yield* consume(opened.events)
    if (yield* Ref.get(ended)) return true
    return yield* Effect.fail(new Error("the event stream ended before the job did"))
  })

  const streamed = yield* attempt.pipe(
    Effect.catch((error) =>
      error instanceof CliFailure
        ? Effect.fail(error)
        : Effect.gen(function*() {
          const count = yield* Ref.updateAndGet(failures, (n) => n + 1)
          if (count > maxReconnects) {
            return yield* new CliFailure({
              message: `lost the event stream of job ${id} at ${baseUrl} (${describeError(error)})`
            })
          }
          return yield* Effect.fail(new Retryable())
        })
    ),
    Effect.retry({ while: (error) => error instanceof Retryable, schedule: Schedule.spaced(waitInterval) }),
    Effect.mapError((error) => error instanceof Retryable ? new CliFailure({ message: `lost the event stream of job ${id}` }) : error),
    Effect.provide(FetchHttpClient.layer)
  )
  if (!streamed) yield* pollToEnd(id, shown)

  const final = yield* request((client) => client.jobs.get({ params: { id } }))
  yield* print({ line: `job ${id} ended ${final.status}; GPU cost ${money(final.gpu_cost_usd ?? 0)}`, progress: false })
  if (final.status === "COMPLETED") return final
  const reason = final.error_message === null ? "" : `: ${final.error_message}`
  return yield* new CliFailure({ message: `job ${id} ended ${final.status}${reason}` })
})
