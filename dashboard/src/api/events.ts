/**
 * Follows a job's event stream (`GET /api/jobs/:id/events`). EventSource cannot send a bearer header, so the stream
 * is read with fetch and a body reader; a dropped stream is reopened with `Last-Event-ID` (a few tries, spaced), and
 * the stream's end (after the terminal status event) ends the follow. Events are decoded with the domain's
 * `JobEvent` schema; kinds this build does not know are passed on undecoded.
 */
import { Option, Schema } from "effect"
import { JobEvent } from "../../../src/domain/job-event.ts"

export type LiveEvent =
  | { readonly seq: number; readonly at: string; readonly known: true; readonly event: JobEvent }
  | { readonly seq: number; readonly at: string; readonly known: false; readonly kind: string }

export interface FollowHandlers {
  readonly onEvent: (event: LiveEvent) => void
  /** The stream ended after the job's terminal status (or the job is gone). */
  readonly onEnd: () => void
  /** 401: the token no longer works. */
  readonly onUnauthorized: () => void
  /** Whether the stream is connected, for a small indicator. */
  readonly onConnection?: (connected: boolean) => void
}

const decodeEvent = Schema.decodeUnknownOption(JobEvent)
const maxFailuresInARow = 6

interface Block {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
}

/** Splits SSE text into complete blocks; returns them and the unfinished rest. */
const parseBlocks = (buffer: string): { readonly blocks: ReadonlyArray<Block>; readonly rest: string } => {
  const normalised = buffer.replace(/\r\n?/g, "\n")
  const parts = normalised.split("\n\n")
  const rest = parts.pop() ?? ""
  const blocks = parts.map((part) => {
    let id: string | undefined
    let event: string | undefined
    const data: Array<string> = []
    for (const line of part.split("\n")) {
      if (line.startsWith(":")) continue
      const colon = line.indexOf(":")
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "")
      if (field === "id") id = value
      else if (field === "event") event = value
      else if (field === "data") data.push(value)
    }
    return { id, event, data: data.join("\n") }
  })
  return { blocks, rest }
}

const toLiveEvent = (block: Block): LiveEvent | undefined => {
  const seq = Number(block.id)
  if (block.event === undefined || !Number.isInteger(seq)) return undefined
  let data: unknown
  try {
    data = JSON.parse(block.data)
  } catch {
    return undefined
  }
  const at = typeof data === "object" && data !== null && "at" in data && typeof data.at === "string" ? data.at : ""
  const decoded = decodeEvent({ kind: block.event, data })
  return Option.isSome(decoded)
    ? { seq, at, known: true, event: decoded.value }
    : { seq, at, known: false, kind: block.event }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = window.setTimeout(resolve, ms)
    signal.addEventListener("abort", () => {
      window.clearTimeout(timer)
      resolve()
    }, { once: true })
  })

/** Starts following; the returned function stops. `after` skips the events already seen. */
export const followEvents = (jobId: number, token: string, handlers: FollowHandlers, after = 0): () => void => {
  const controller = new AbortController()
  const { signal } = controller
  let lastSeq = after
  /** Set when a read got through: the failures before it no longer count. */
  let connectedOnce = false

  const readOnce = async (): Promise<"ended" | "dropped" | "stop"> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "text/event-stream" }
    if (lastSeq > 0) headers["last-event-id"] = String(lastSeq)
    const response = await fetch(`/api/jobs/${jobId}/events`, { headers, signal, cache: "no-store" }).catch(() => null)
    if (response === null) return signal.aborted ? "stop" : "dropped"
    if (response.status === 401) {
      handlers.onUnauthorized()
      return "stop"
    }
    if (response.status === 404) return "ended"
    if (!response.ok || response.body === null) return "dropped"
    handlers.onConnection?.(true)
    connectedOnce = true
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ""
    for (;;) {
      const chunk = await reader.read().catch(() => null)
      if (chunk === null) return signal.aborted ? "stop" : "dropped"
      if (chunk.done) return "ended"
      buffer += chunk.value
      const { blocks, rest } = parseBlocks(buffer)
      buffer = rest
      for (const block of blocks) {
        const event = toLiveEvent(block)
        if (event === undefined || event.seq <= lastSeq) continue
        lastSeq = event.seq
        handlers.onEvent(event)
      }
    }
  }

  const run = async () => {
    let failures = 0
    while (!signal.aborted) {
      const outcome = await readOnce()
      handlers.onConnection?.(false)
      if (signal.aborted || outcome === "stop") return
      if (outcome === "ended") {
        handlers.onEnd()
        return
      }
      failures = connectedOnce ? 1 : failures + 1
      connectedOnce = false
      if (failures > maxFailuresInARow) return
      await sleep(Math.min(1000 * 2 ** (failures - 1), 15_000), signal)
    }
  }
  void run()
  return () => controller.abort()
}

export interface ListFollowHandlers {
  /** A job's status, stage or cost changed (progress events are not passed on: a list does not show rounds). */
  readonly onChange: (jobId: number) => void
  /** Every followed job is terminal, or the stream dropped: read the list again (and follow its live jobs anew). */
  readonly onEnd: () => void
  /** 401: the token no longer works. */
  readonly onUnauthorized: () => void
}

/**
 * Follows several jobs at once (`GET /api/events?jobs=...`), for the jobs list: one connection whatever the number
 * of live jobs on the page (a browser keeps only a few connections per site open). The stream has no resume: when it
 * ends or drops, the list is read again, which reopens it with the jobs then live. Returns the function that stops.
 */
export const followJobs = (jobIds: ReadonlyArray<number>, token: string, handlers: ListFollowHandlers): () => void => {
  const controller = new AbortController()
  const { signal } = controller
  const run = async () => {
    const response = await fetch(`/api/events?jobs=${jobIds.join(",")}`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      signal,
      cache: "no-store"
    }).catch(() => null)
    if (signal.aborted) return
    if (response?.status === 401) return handlers.onUnauthorized()
    if (response === null || !response.ok || response.body === null) {
      // Not at once: a service that is down is not asked again in a tight loop.
      await sleep(5000, signal)
      if (!signal.aborted) handlers.onEnd()
      return
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ""
    for (;;) {
      const chunk = await reader.read().catch(() => null)
      if (signal.aborted) return
      if (chunk === null || chunk.done) return handlers.onEnd()
      buffer += chunk.value
      const { blocks, rest } = parseBlocks(buffer)
      buffer = rest
      for (const block of blocks) {
        if (block.event === "progress") continue
        const jobId = jobIdOf(block.data)
        if (jobId !== undefined) handlers.onChange(jobId)
      }
    }
  }
  void run()
  return () => controller.abort()
}

const jobIdOf = (data: string): number | undefined => {
  try {
    const parsed: unknown = JSON.parse(data)
    return typeof parsed === "object" && parsed !== null && "job_id" in parsed && typeof parsed.job_id === "number"
      ? parsed.job_id
      : undefined
  } catch {
    return undefined
  }
}
