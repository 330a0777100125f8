/**
 * `GET /api/jobs/:id/events`: the job's `job_events` as Server-Sent Events. A plain router route next to the
 * HttpApi (HttpApi's SSE success cannot send comments, custom `id:` lines or read Last-Event-ID the way browsers
 * reconnect), with the same bearer auth and the same 404 for another user's job as the API routes.
 *
 * Wire format, one block per event, UTF-8:
 *
 *     id: <seq>
 *     event: <kind>              status | stage | progress | pod | cost | enrichment
 *     data: <JSON of the event's data plus "at" (ISO-8601 UTC)>
 *     <empty line>
 *
 * An idle stream sends `: keep-alive` comment blocks; the stream opens with a `: job <id>` comment so headers and
 * the first bytes leave at once. `Last-Event-ID: N` (or `?after=N`; the header wins) resumes after event N. The
 * stream ends once the terminal status event (COMPLETED, FAILED, CANCELLED) is sent; for a job that is already
 * terminal that means the backlog, then the end. A deleted job ends the stream.
 *
 * `GET /api/events?jobs=1,2,3` is the same for up to `maxJobsFollowed` of the caller's jobs at once, for a list
 * that shows live statuses: only what happens from now on (no `id:` lines, no resume: a client that reconnects
 * reads the jobs again first), each block's data carrying `job_id`; it ends when every one of them is terminal.
 * Ids that are not the caller's jobs are ignored, like jobs deleted meanwhile.
 *
 * New events are found by ONE poller for the whole process (`EventHeads`): every `pollMillis` it reads the newest
 * seq and status of every followed job in a single query and publishes them. A subscriber reads `job_events` only
 * when its job has something new, so an idle subscriber holds no database connection.
 */
import { Context, Duration, Effect, Layer, Option, PubSub, Redacted, Ref, Schedule, Schema, type Scope, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Accounts } from "../../../services/accounts.ts"
import { JobStore } from "../../../services/job-store.ts"
import { JobId } from "../../domain/ids.ts"
import { isTerminal, type JobStatus } from "../../domain/status.ts"
import type { StoredEvent } from "../../domain/job-event.ts"
import { isTerminalEvent } from "../../domain/timeline.ts"
import { eventBatchSize, eventStreamTiming } from "../limits.ts"
import { problem, problemContentType } from "./problem.ts"

export const eventsPath = "/api/jobs/:id/events"
export const jobsEventsPath = "/api/events"

/** The most jobs one list stream follows (a page of the jobs list holds at most 100). */
const maxJobsFollowed = 100

/** The timing of the stream; the defaults are in `src/api/limits.ts` (tests shorten them). */
export const EventStreamTiming = Context.Reference<{ readonly pollMillis: number; readonly keepAliveMillis: number }>(
  "fishcloud/api/EventStreamTiming",
  { defaultValue: () => eventStreamTiming }
)

/**
 * One poll: the jobs it asked about and the heads it found. A job asked about and not found is gone; a job followed
 * after the poll started is not in `asked`, and its subscriber waits for the next poll (it once took that for gone).
 */
interface Poll {
  readonly asked: ReadonlySet<JobId>
  readonly heads: ReadonlyMap<JobId, { readonly seq: number; readonly status: JobStatus }>
}

/** The one poller: which jobs are followed (with how many subscribers), and the heads it last read. */
export class EventHeads extends Context.Service<EventHeads, {
  /** Follows `id` for the life of the scope. */
  readonly follow: (id: JobId) => Effect.Effect<void, never, Scope.Scope>
  /** Waits until a poll shows the job past `after`, terminal, or gone. */
  readonly next: (id: JobId, after: number) => Effect.Effect<Option.Option<{ readonly seq: number; readonly status: JobStatus }>>
}>()("fishcloud/api/EventHeads") {}

export const EventHeadsLive = Layer.effect(EventHeads, Effect.gen(function*() {
  const store = yield* JobStore
  const { pollMillis } = yield* EventStreamTiming
  const followed = yield* Ref.make(new Map<JobId, number>())
  const polls = yield* PubSub.sliding<Poll>(1)

  const poll = Effect.gen(function*() {
    const ids = [...(yield* Ref.get(followed)).keys()]
    if (ids.length === 0) return
    // A failed read (a database failure is a defect of the store) must not stop the one poller: it is logged and
    // the next poll tries again.
    const read = yield* store.eventHeads(ids).pipe(
      Effect.map(Option.some),
      Effect.catchDefect((defect) => Effect.as(Effect.logWarning("event stream poll failed", defect), Option.none()))
    )
    if (Option.isSome(read)) yield* PubSub.publish(polls, { asked: new Set(ids), heads: read.value })
  })
  yield* poll.pipe(Effect.repeat(Schedule.spaced(Duration.millis(pollMillis))), Effect.forkScoped)

  const adjust = (id: JobId, delta: number) =>
    Ref.update(followed, (current) => {
      const next = new Map(current)
      const count = (next.get(id) ?? 0) + delta
      if (count > 0) next.set(id, count)
      else next.delete(id)
      return next
    })

  return EventHeads.of({
    follow: (id) => Effect.acquireRelease(adjust(id, 1), () => adjust(id, -1)),
    next: (id, after) =>
      Stream.fromPubSub(polls).pipe(
        Stream.filter((read) => read.asked.has(id)),
        Stream.map((read) => read.heads.get(id)),
        Stream.filter((head) => head === undefined || head.seq > after || isTerminal(head.status)),
        Stream.runHead,
        Effect.map((first) => Option.flatMap(first, Option.fromNullishOr))
      )
  })
}))

const encoder = new TextEncoder()

/** One event as an SSE block. */
const sseBlock = (event: StoredEvent): string =>
  `id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify({ ...event.data, at: event.at })}\n\n`

/** One event of one of several jobs as an SSE block: no `id:` (there is no single sequence to resume), `job_id` in the data. */
const listBlock = (jobId: JobId) => (event: StoredEvent): string =>
  `event: ${event.kind}\ndata: ${JSON.stringify({ ...event.data, at: event.at, job_id: jobId })}\n\n`

const unauthorized = HttpServerResponse.jsonUnsafe(
  { type: "urn:fishcloud:problem:unauthorized", title: "Missing or invalid bearer token", status: 401 },
  { status: 401, contentType: problemContentType }
)

const jobNotFound = (id: string) => problem(404, `Job ${id} not found`, "job-not-found")

const decodeJobId = Schema.decodeUnknownOption(Schema.NumberFromString.pipe(Schema.decodeTo(JobId)))
const decodeCursor = Schema.decodeUnknownOption(
  Schema.NumberFromString.pipe(Schema.decodeTo(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))))
)

/** Where to resume: `Last-Event-ID`, else `?after=`, else from the start. `None` when a value is not an integer >= 0. */
const resumeAfter = (request: HttpServerRequest.HttpServerRequest): Option.Option<number> => {
  const header = request.headers["last-event-id"]
  const query = new URL(request.url, "http://localhost").searchParams.get("after")
  const given = header !== undefined && header.trim() !== "" ? header.trim() : query
  return given === null ? Option.some(0) : decodeCursor(given)
}

const bearer = (request: HttpServerRequest.HttpServerRequest): Option.Option<string> => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers["authorization"] ?? "")
  return Option.fromNullishOr(match?.[1])
}

export const EventRoutes = HttpRouter.use((router) => Effect.gen(function*() {
  const accounts = yield* Accounts
  const store = yield* JobStore
  const hub = yield* EventHeads
  const { keepAliveMillis } = yield* EventStreamTiming

  /** Everything after `after`, batch by batch, until the terminal event is sent or the job is terminal or gone. */
  const events = (id: JobId, after: number): Stream.Stream<StoredEvent> =>
    Stream.paginate(
      { after, wait: false },
      Effect.fnUntraced(function*(state: { readonly after: number; readonly wait: boolean }) {
        if (state.wait) {
          const head = yield* hub.next(id, state.after)
          // Gone (deleted), or terminal with nothing new: the story is over.
          if (Option.isNone(head) || head.value.seq <= state.after) return [[], Option.none()] as const
        }
        const batch = yield* store.eventsAfter(id, state.after, eventBatchSize)
        const done = batch.some(isTerminalEvent)
        const last = batch.at(-1)?.seq ?? state.after
        const more = done ? Option.none() : Option.some({ after: last, wait: batch.length < eventBatchSize })
        return [batch, more] as const
      })
    )

  /** The stream's body: its first comment at once, then `blocks`, with keep-alive comments while idle. */
  const sseBody = (first: string, blocks: Stream.Stream<string>) =>
    blocks.pipe(
      Stream.merge(
        Stream.tick(Duration.millis(keepAliveMillis)).pipe(Stream.drop(1), Stream.map(() => ": keep-alive\n\n")),
        { haltStrategy: "left" }
      ),
      (stream) => Stream.concat(Stream.make(first), stream),
      Stream.map((text) => encoder.encode(text))
    )

  const sseResponse = (body: Stream.Stream<Uint8Array>) =>
    HttpServerResponse.stream(body, {
      contentType: "text/event-stream; charset=utf-8",
      headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
    })

  yield* router.add("GET", eventsPath, (request) =>
    Effect.gen(function*() {
      const token = bearer(request)
      if (Option.isNone(token)) return unauthorized
      const user = yield* accounts.authenticate(Redacted.make(token.value))
      if (Option.isNone(user)) return unauthorized
      const rawId = (yield* HttpRouter.params)["id"] ?? ""
      const id = decodeJobId(rawId)
      if (Option.isNone(id)) return jobNotFound(rawId)
      const job = yield* store.get(user.value.id, id.value)
      if (Option.isNone(job)) return jobNotFound(rawId)
      const after = resumeAfter(request)
      if (Option.isNone(after)) return problem(400, "Last-Event-ID and ?after= must be an integer >= 0")

      const body = Stream.unwrap(Effect.gen(function*() {
        yield* hub.follow(id.value)
        // A job that was terminal when asked gets its backlog and the end, even when it holds no terminal event
        // after the cursor.
        const stream = isTerminal(job.value.status)
          ? Stream.paginate(after.value, (cursor) =>
            store.eventsAfter(id.value, cursor, eventBatchSize).pipe(
              Effect.map((batch) =>
                [batch.map(sseBlock), batch.length < eventBatchSize ? Option.none() : Option.some(batch.at(-1)!.seq)] as const
              )
            ))
          : events(id.value, after.value).pipe(Stream.map(sseBlock))
        return stream
      }))
      return sseResponse(sseBody(`: job ${id.value}\n\n`, body))
    }).pipe(Effect.withSpan("Jobs.events"))
  )

  yield* router.add("GET", jobsEventsPath, (request) =>
    Effect.gen(function*() {
      const token = bearer(request)
      if (Option.isNone(token)) return unauthorized
      const user = yield* accounts.authenticate(Redacted.make(token.value))
      if (Option.isNone(user)) return unauthorized
      const given = (new URL(request.url, "http://localhost").searchParams.get("jobs") ?? "").split(",").filter((part) => part !== "")
      const ids = given.map((part) => decodeJobId(part))
      if (ids.length === 0 || ids.length > maxJobsFollowed || ids.some(Option.isNone)) {
        return problem(400, `jobs must list 1 to ${maxJobsFollowed} job ids, comma-separated`)
      }
      const wanted = [...new Set(ids.flatMap((id) => Option.toArray(id)))]
      const owned = (yield* Effect.forEach(wanted, (id) => store.get(user.value.id, id), { concurrency: 10 }))
        .flatMap((job) => Option.toArray(job))
        .filter((job) => !isTerminal(job.status))
      const body = Stream.unwrap(Effect.gen(function*() {
        for (const job of owned) yield* hub.follow(job.id)
        // From now on: each job's stream starts after its newest event.
        const heads = yield* store.eventHeads(owned.map((job) => job.id))
        return Stream.mergeAll(
          owned.flatMap((job) => {
            const head = heads.get(job.id)
            return head === undefined || isTerminal(head.status) ? [] : [events(job.id, head.seq).pipe(Stream.map(listBlock(job.id)))]
          }),
          { concurrency: "unbounded" }
        )
      }))
      return sseResponse(sseBody(`: ${owned.length} live jobs\n\n`, body))
    }).pipe(Effect.withSpan("Jobs.listEvents"))
  )
})).pipe(Layer.provide(EventHeadsLive))
