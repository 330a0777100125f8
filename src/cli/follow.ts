/**
 * `submit --wait` and `status --follow`: renders a job's event stream (`GET /api/jobs/:id/events`) as progress lines
 * until the job ends, then prints its final status and GPU cost. One line per status change, stage (by name) and pod
 * event; the rounds are a progress bar with the elapsed time and an ETA on a terminal, redrawn in place below the
 * other lines, and plain `round 7/15` lines on a pipe (`progress.ts` draws both).
 *
 * A dropped stream is reopened with `Last-Event-ID` (up to `maxReconnects` failures in a row, `waitInterval` apart).
 * A server without the events route (an older fishcloud) is polled instead, printing status and stage changes.
 */
import { Clock, Console, Data, Effect, Option, Redacted, Ref, Schedule, Schema, Stream } from "effect"
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
import { emptyRunClock, observeRound, observeStatus, type Printed, progressBarLine, progressPlainLine, type RunClock, terminalEnd, terminalWrite } from "./progress.ts"
import { currentTerminal, type Terminal } from "./terminal.ts"
import { usd } from "../domain/readable.ts"
import { stageName } from "../domain/stage.ts"

/** Failed attempts in a row (reconnects of a dropped stream, or polls) before giving up. */
const maxReconnects = 5

const decodeData = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))
const decodeEvent = Schema.decodeUnknownOption(JobEvent)
const decodeAt = Schema.decodeUnknownOption(Schema.Struct({ at: Schema.String }))

/** When the event was written (its `at`), else now. */
const eventTime = (data: unknown, nowMs: number): number => {
  const at = decodeAt(data)
  const parsed = Option.isSome(at) ? Date.parse(at.value.at) : Number.NaN
  return Number.isFinite(parsed) ? parsed : nowMs
}

/** How the event's lines are drawn: on a terminal (with its width) or a pipe, and the run's clock so far. */
interface RenderContext {
  readonly interactive: boolean
  readonly columns: number | undefined
  readonly atMs: number
  readonly clock: RunClock
}

/**
 * What a user sees for one event, and the run's clock after it. `progress` marks the line a terminal redraws in
 * place (the round bar); a status change other than RUNNING leaves the last bar on screen (`settle`).
 */
export const renderEvent = (
  id: JobId,
  event: JobEvent,
  context: RenderContext
): { readonly printed: Printed | undefined; readonly clock: RunClock } => {
  const prefix = `job ${id}: `
  const line = (text: string): Printed => ({ line: `${prefix}${text}`, progress: false })
  switch (event.kind) {
    case "status": {
      const { to, error } = event.data
      return {
        printed: { ...line(`${to}${error === undefined ? "" : ` (${error})`}`), settle: to !== "RUNNING" },
        clock: observeStatus(context.clock, to, context.atMs)
      }
    }
    case "stage":
      return { printed: line(stageName(event.data.stage)), clock: context.clock }
    case "progress": {
      const { round, max_rounds } = event.data
      if (round === null) return { printed: undefined, clock: context.clock }
      const sample = { round, atMs: context.atMs }
      const clock = observeRound(context.clock, sample)
      const text = context.interactive
        ? progressBarLine(id, sample, max_rounds, clock, context.columns)
        : progressPlainLine(id, round, max_rounds)
      return { printed: { line: text, progress: true }, clock }
    }
    case "pod": {
      const pod = event.data
      const details = pod.event === "terminated"
        ? [pod.reason]
        : pod.event === "terminate_failed"
        ? [pod.reason, pod.error]
        : pod.event === "created" ? [pod.gpu_type, `${usd(pod.cost_per_hour)}/h`] : []
      return {
        printed: line(`pod ${pod.pod_id} ${pod.event.replace("_", " ")}${details.length === 0 ? "" : ` (${details.join(", ")})`}`),
        clock: context.clock
      }
    }
    case "cost":
      return { printed: line(`GPU cost ${usd(event.data.gpu_cost_usd)}`), clock: context.clock }
    case "enrichment": {
      const enrichment = event.data
      const detail = enrichment.event === "completed"
        ? ` (${enrichment.summary_chars} characters, ${enrichment.citations} citations)`
        : enrichment.event === "failed" ? ` (${enrichment.error})` : ""
      return { printed: line(`seed enrichment ${enrichment.event}${detail}`), clock: context.clock }
    }
  }
}

/**
 * Prints lines: a pipe gets each line as it is; a terminal keeps the progress line last, redrawn in place, with the
 * other lines scrolling above it (`terminalWrite`). `end` leaves the last bar on screen.
 */
const makePrinter = (terminal: Terminal) =>
  Effect.gen(function*() {
    const shown = yield* Ref.make<string | undefined>(undefined)
    const write = (text: string) => Effect.sync(() => void process.stdout.write(text))
    const print = (printed: Printed) =>
      Effect.gen(function*() {
        if (!terminal.interactive) return yield* Console.log(printed.line)
        const next = terminalWrite(yield* Ref.get(shown), printed)
        yield* Ref.set(shown, next.shown)
        yield* write(next.text)
      })
    const end = Effect.gen(function*() {
      if (terminal.interactive) yield* write(terminalEnd(yield* Ref.getAndSet(shown, undefined)))
    })
    return { print, end }
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
  const terminal = yield* currentTerminal
  const { print, end } = yield* makePrinter(terminal)
  const clock = yield* Ref.make(emptyRunClock)
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
        const atMs = eventTime(Option.getOrUndefined(decodeData(event.data)), yield* Clock.currentTimeMillis)
        const rendered = renderEvent(id, decoded.value, { ...terminal, atMs, clock: yield* Ref.get(clock) })
        yield* Ref.set(clock, rendered.clock)
        if (rendered.printed !== undefined) yield* print(rendered.printed)
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
    Effect.provide(FetchHttpClient.layer),
    // An error goes to stderr on a line of its own, not after the bar.
    Effect.onError(() => end)
  )
  if (!streamed) yield* pollToEnd(id, shown)

  const final = yield* request((client) => client.jobs.get({ params: { id } })).pipe(Effect.onError(() => end))
  yield* print({ line: `job ${id} ended ${final.status}; GPU cost ${usd(final.gpu_cost_usd ?? 0)}`, progress: false, settle: true })
  yield* end
  if (final.status === "COMPLETED") return final
  const reason = final.error_message === null ? "" : `: ${final.error_message}`
  return yield* new CliFailure({ message: `job ${id} ended ${final.status}${reason}` })
})
