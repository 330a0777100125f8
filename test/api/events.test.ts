/** The job event stream (`GET /api/jobs/:id/events`) over real sockets, with a short poll and keep-alive interval. */
import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { EventStreamTiming } from "../../src/api/server/event-stream.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { appendEvent, progressAt, transition } from "../support/journal.ts"
import { eventually } from "../support/eventually.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { createJob, newUser } from "../support/api-fixtures.ts"
import { parseSse, type SseEvent } from "../support/sse.ts"

/**
 * Reading `GET /api/jobs/:id/events`: raw text over fetch, parsed into events and comments. The stream is a plain
 * router route, not part of the HttpApi definition, so these tests read it raw; the rest goes through the client.
 */
export interface SseRead {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly events: ReadonlyArray<SseEvent>
  readonly comments: ReadonlyArray<string>
  /** Whether the server ended the stream (false when the read stopped at `until`). */
  readonly ended: boolean
}

/** How far a reader has got, for tests that act once the stream is open (watch it with `eventually`). */
export interface SseProgress {
  /** The response headers arrived: the server is streaming to this reader. */
  connected: boolean
  events: number
}

export const sseProgress = (): SseProgress => ({ connected: false, events: 0 })

/**
 * Reads the stream until the server ends it, or until `until` holds for what was read (then the request is aborted),
 * or `timeoutMs` passes (then it dies). `progress`, when given, is kept up to date while it reads.
 */
export const readEvents = (
  url: string,
  options: {
    readonly token?: string
    readonly headers?: Record<string, string>
    readonly until?: (read: ReturnType<typeof parseSse>) => boolean
    readonly timeoutMs?: number
    readonly progress?: SseProgress
  } = {}
) =>
  Effect.promise(async (): Promise<SseRead> => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error("timeout")), options.timeoutMs ?? 15_000)
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
    try {
      const response = await fetch(url, { headers, signal: controller.signal })
      if (options.progress !== undefined) options.progress.connected = true
      if (response.body === null) return { status: response.status, headers: response.headers, text: "", events: [], comments: [], ended: true }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let text = ""
      for (;;) {
        const chunk = await reader.read()
        if (chunk.done) return { status: response.status, headers: response.headers, text, ...parseSse(text), ended: true }
        text += chunk.value
        const parsed = parseSse(text)
        if (options.progress !== undefined) options.progress.events = parsed.events.length
        if (options.until?.(parsed) === true && text.endsWith("\n\n")) {
          controller.abort()
          return { status: response.status, headers: response.headers, text, ...parsed, ended: false }
        }
      }
    } finally {
      clearTimeout(timer)
    }
  })

const timing = Layer.succeed(EventStreamTiming, { pollMillis: 50, keepAliveMillis: 300 })

const newLiveJob = Effect.gen(function*() {
  const service = yield* TestService
  const { token, api } = yield* newUser("follower")
  const { id } = yield* createJob(api)
  return { service, token, api, id, url: `${service.baseUrl}/api/jobs/${id}/events` }
})

/** Walks a job through a whole run: seq 2..8 after the PENDING event (seq 1). */
const runJob = (id: JobId) =>
  Effect.gen(function*() {
    yield* transition(id, "PROVISIONING")
    yield* appendEvent(id, { kind: "pod", data: { event: "created", pod_id: "p1", name: "job-x", gpu_type: "A100", cost_per_hour: 1.5 } })
    yield* appendEvent(id, { kind: "pod", data: { event: "ready", pod_id: "p1" } })
    yield* transition(id, "RUNNING")
    yield* appendEvent(id, { kind: "stage", data: { stage: 2 } })
    yield* appendEvent(id, progressAt(7, 15))
    yield* transition(id, "REPORTING")
    yield* transition(id, "COMPLETED")
  }).pipe(Effect.orDie)

const expectedKinds = ["status", "status", "pod", "pod", "status", "stage", "progress", "status", "status"]

layer(TestServiceLive().pipe(Layer.provide(timing)), { excludeTestServices: true })("GET /api/jobs/:id/events", (it) => {
  it.effect("sends every event in order with its seq as id, its kind as event, data plus at; ends after COMPLETED", () =>
    Effect.gen(function*() {
      const { token, id, url } = yield* newLiveJob
      const progress = sseProgress()
      const reading = yield* Effect.forkChild(readEvents(url, { token, progress }))
      yield* eventually("the reader got the backlog (the PENDING event)", () => progress.events === 1)
      yield* runJob(id)
      const read = yield* Fiber.join(reading)
      assert.strictEqual(read.status, 200)
      assert.strictEqual(read.headers.get("content-type"), "text/event-stream; charset=utf-8")
      assert.strictEqual(read.headers.get("cache-control"), "no-store")
      assert.strictEqual(read.headers.get("x-accel-buffering"), "no")
      assert.isTrue(read.ended)
      assert.deepStrictEqual(read.events.map((event) => event.id), ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
      assert.deepStrictEqual(read.events.map((event) => event.event), expectedKinds)
      assert.deepStrictEqual(read.events.map((event) => event.data.to ?? null), [
        "PENDING", "PROVISIONING", null, null, "RUNNING", null, null, "REPORTING", "COMPLETED"
      ])
      assert.strictEqual(read.events[6]!.data.round, 7)
      assert.match(read.events[0]!.data.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/)
      assert.isTrue(read.text.startsWith(`: job ${id}\n\nid: 1\nevent: status\ndata: {`), read.text)
    }))

  it.effect("Last-Event-ID resumes after that event, ?after= too; a terminal job's stream is its backlog, then the end", () =>
    Effect.gen(function*() {
      const { token, id, url } = yield* newLiveJob
      yield* runJob(id)
      const all = yield* readEvents(url, { token })
      assert.isTrue(all.ended)
      assert.strictEqual(all.events.length, 9)
      const resumed = yield* readEvents(url, { token, headers: { "last-event-id": "5" } })
      assert.isTrue(resumed.ended)
      assert.deepStrictEqual(resumed.events.map((event) => event.id), ["6", "7", "8", "9"])
      const byQuery = yield* readEvents(`${url}?after=8`, { token })
      assert.deepStrictEqual(byQuery.events.map((event) => event.id), ["9"])
      const headerWins = yield* readEvents(`${url}?after=1`, { token, headers: { "last-event-id": "7" } })
      assert.deepStrictEqual(headerWins.events.map((event) => event.id), ["8", "9"])
      const pastTheEnd = yield* readEvents(url, { token, headers: { "last-event-id": "9" } })
      assert.isTrue(pastTheEnd.ended)
      assert.deepStrictEqual(pastTheEnd.events, [])
      const bad = yield* readEvents(url, { token, headers: { "last-event-id": "x" } })
      assert.strictEqual(bad.status, 400)
    }))

  it.effect("a live stream resumed with Last-Event-ID skips what was seen and still gets what follows", () =>
    Effect.gen(function*() {
      const { token, id, url } = yield* newLiveJob
      yield* transition(id, "PROVISIONING").pipe(Effect.orDie)
      const first = yield* readEvents(url, { token, until: (read) => read.events.length >= 2 })
      assert.isFalse(first.ended)
      assert.deepStrictEqual(first.events.map((event) => event.id), ["1", "2"])
      const progress = sseProgress()
      const reading = yield* Effect.forkChild(readEvents(url, { token, headers: { "last-event-id": "2" }, progress }))
      yield* eventually("the resumed stream is open", () => progress.connected)
      yield* transition(id, "FAILED", { errorMessage: "pod lost" }).pipe(Effect.orDie)
      const rest = yield* Fiber.join(reading)
      assert.isTrue(rest.ended)
      assert.deepStrictEqual(rest.events.map((event) => [event.id, event.data.to, event.data.error]), [["3", "FAILED", "pod lost"]])
    }))

  it.effect("an idle stream sends keep-alive comments", () =>
    Effect.gen(function*() {
      const { token, url } = yield* newLiveJob
      const read = yield* readEvents(url, { token, until: (parsed) => parsed.comments.includes("keep-alive") })
      assert.isFalse(read.ended)
      assert.include(read.text, "\n\n: keep-alive\n\n")
      assert.deepStrictEqual(read.events.map((event) => event.id), ["1"])
    }))

  // Raw HTTP: the event stream is not in the definition, so there is no client method for it.
  it.effect("another user's job is 404 like a missing one; no token or a bad token is 401", () =>
    Effect.gen(function*() {
      const { service, url } = yield* newLiveJob
      const { token: stranger } = yield* newUser("stranger")
      const theirs = yield* service.call("GET", url.slice(service.baseUrl.length), { token: stranger })
      const missing = yield* service.call("GET", "/api/jobs/999999/events", { token: stranger })
      for (const reply of [theirs, missing]) {
        assert.strictEqual(reply.status, 404)
        assert.strictEqual(reply.headers.get("content-type"), "application/problem+json")
        assert.strictEqual(reply.json.type, "urn:fishcloud:problem:job-not-found")
      }
      const anonymous = yield* service.call("GET", url.slice(service.baseUrl.length))
      const badToken = yield* service.call("GET", url.slice(service.baseUrl.length), { token: "nope" })
      for (const reply of [anonymous, badToken]) {
        assert.strictEqual(reply.status, 401)
        assert.strictEqual(reply.json.type, "urn:fishcloud:problem:unauthorized")
      }
    }))

  it.effect("50 concurrent subscribers all get every event, and the service keeps answering other requests", () =>
    Effect.gen(function*() {
      const { service, token, api, id, url } = yield* newLiveJob
      const progress = Array.from({ length: 50 }, sseProgress)
      const readers = yield* Effect.forkChild(
        Effect.all(progress.map((each) => readEvents(url, { token, timeoutMs: 20_000, progress: each })), { concurrency: "unbounded" })
      )
      yield* eventually("all 50 readers got the backlog", () => progress.every((each) => each.events === 1))
      const others = yield* Effect.all(
        Array.from({ length: 10 }, () => api.jobs.get({ params: { id } })),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(others.map((job) => job.id), Array.from({ length: 10 }, () => id))
      yield* runJob(id)
      const reads = yield* Fiber.join(readers)
      for (const read of reads) {
        assert.isTrue(read.ended)
        assert.deepStrictEqual(read.events.map((event) => event.event), expectedKinds)
      }
      // The client accepts only the declared 200 for health.
      yield* (yield* service.client()).system.health()
    }))

  // Raw HTTP: the OpenAPI document is not in the definition.
  it.effect("the OpenAPI document lists the event stream", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const spec = yield* service.call("GET", "/openapi.json")
      assert.isDefined(spec.json.paths["/api/jobs/{id}/events"]?.get)
      assert.isDefined(spec.json.paths["/api/jobs/{id}/timeline"]?.get)
    }))
})

layer(TestServiceLive().pipe(Layer.provide(timing)), { excludeTestServices: true })("GET /api/events?jobs=...", (it) => {
  it.effect("streams what happens from now on to several of the caller's jobs, each event naming its job, and ends when all are terminal", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token, api } = yield* newUser("list-follower")
      const first = (yield* createJob(api)).id
      const second = (yield* createJob(api)).id
      const finished = (yield* createJob(api)).id
      yield* transition(finished, "CANCELLED").pipe(Effect.orDie)
      // Another user's job is ignored, not an error: it is as if it did not exist.
      const { api: otherApi } = yield* newUser("list-stranger")
      const strangers = (yield* createJob(otherApi)).id

      const progress = sseProgress()
      const reader = yield* readEvents(`${service.baseUrl}/api/events?jobs=${first},${second},${finished},${strangers}`, {
        token,
        progress,
        timeoutMs: 20_000
      }).pipe(Effect.forkChild)
      yield* eventually("the list stream is open", () => progress.connected)
      yield* transition(first, "PROVISIONING").pipe(Effect.orDie)
      yield* transition(second, "CANCELLED").pipe(Effect.orDie)
      yield* transition(first, "CANCELLED").pipe(Effect.orDie)
      yield* transition(strangers, "CANCELLED").pipe(Effect.orDie)
      const read = yield* Fiber.join(reader)

      assert.isTrue(read.ended, "the stream ends once every followed job is terminal")
      assert.include(read.comments, "2 live jobs")
      const seen = read.events.map((event) => `${event.data.job_id} ${event.data.to}`)
      assert.sameMembers(seen, [`${first} PROVISIONING`, `${second} CANCELLED`, `${first} CANCELLED`])
      assert.isTrue(read.events.every((event) => event.id === undefined && event.event === "status"))
      // The PENDING events before the stream opened are not replayed.
      assert.notInclude(seen, `${first} PENDING`)
    }))

  it.effect("refuses a missing or malformed job list (400), and a request without a token (401)", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { token } = yield* newUser("list-bad")
      for (const query of ["", "?jobs=", "?jobs=abc", "?jobs=1,-2", `?jobs=${Array.from({ length: 101 }, (_, i) => i + 1).join(",")}`]) {
        const reply = yield* service.call("GET", `/api/events${query}`, { token })
        assert.strictEqual(reply.status, 400, query)
        assert.strictEqual(reply.headers.get("content-type"), "application/problem+json")
      }
      assert.strictEqual((yield* service.call("GET", "/api/events?jobs=1")).status, 401)
    }))
})
