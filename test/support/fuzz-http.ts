/**
 * A raw HTTP client for the fuzz suite. `fetch` normalises what it sends (it resolves `..`, re-encodes paths, merges
 * duplicate headers, refuses some content types), so the fuzzer speaks through `node:http`: the path goes out byte
 * for byte, a header given as an array goes out as several header lines. Every request has a deadline (a hang is a
 * finding), and an event stream is read only up to its first chunk.
 */
import * as Http from "node:http"
import { Data, Effect } from "effect"

export interface RawRequest {
  readonly method: string
  /** Path and query exactly as sent (characters U+0021..U+00FF only: Node refuses others before sending). */
  readonly path: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string>>>
  readonly body?: string | Uint8Array | undefined
}

export interface RawReply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly bytes: Uint8Array
  readonly text: string
  /** The reply was an event stream, cut after its first chunk. */
  readonly streamed: boolean
}

/** The request got no answer: it hung past the deadline, or the connection broke (a crash or a reset). */
class NoAnswer extends Data.TaggedError("NoAnswer")<{ readonly reason: string }> {}

const streamContentType = "text/event-stream"

/** Sends `request` to `127.0.0.1:port`; fails with `NoAnswer` after `timeoutMillis` or on a broken connection. */
export const send = (port: number, request: RawRequest, timeoutMillis: number) =>
  Effect.callback<RawReply, NoAnswer>((resume, signal) => {
    const chunks: Array<Buffer> = []
    const headers: Record<string, string | Array<string>> = {}
    for (const [name, value] of Object.entries(request.headers)) headers[name] = typeof value === "string" ? value : [...value]
    const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(request.body, "utf8") : Buffer.from(request.body)
    if (body !== undefined && headers["content-length"] === undefined) headers["content-length"] = String(body.length)
    let done = false
    const finish = (outcome: { readonly reply: RawReply } | { readonly reason: string }) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume("reply" in outcome ? Effect.succeed(outcome.reply) : Effect.fail(new NoAnswer({ reason: outcome.reason })))
    }
    const outgoing = Http.request({ host: "127.0.0.1", port, method: request.method, path: request.path, headers, agent: false })
    const timer = setTimeout(() => {
      finish({ reason: `no complete answer within ${timeoutMillis} ms` })
      outgoing.destroy()
    }, timeoutMillis)
    signal.addEventListener("abort", () => {
      clearTimeout(timer)
      outgoing.destroy()
    })
    outgoing.on("error", (error) => finish({ reason: `connection error: ${error.message}` }))
    outgoing.on("response", (incoming) => {
      const streamed = (incoming.headers["content-type"] ?? "").startsWith(streamContentType)
      const reply = (): RawReply => {
        const bytes = Buffer.concat(chunks)
        return { status: incoming.statusCode ?? 0, headers: incoming.headers, bytes, text: bytes.toString("utf8"), streamed }
      }
      incoming.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        if (streamed) {
          finish({ reply: reply() })
          outgoing.destroy()
        }
      })
      incoming.on("end", () => finish({ reply: reply() }))
      incoming.on("error", (error) => finish({ reason: `response error: ${error.message}` }))
    })
    outgoing.end(body)
  })
