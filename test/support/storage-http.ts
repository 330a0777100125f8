/** HTTP helpers for the `/storage/*` tests: fetch an absolute URL, send a raw (unnormalised) path, stream a body. */
import * as Http from "node:http"
import { Effect } from "effect"
import { type Reply, toReply } from "./service.ts"

/** `fetch` of an absolute URL (a presigned one), no token. */
export const send = (method: string, url: string, body?: Uint8Array<ArrayBuffer> | string) =>
  Effect.promise(async () =>
    toReply(await fetch(url, { method, ...(body === undefined || method === "GET" ? {} : { body }) }))
  )

/** The raw bytes of a GET, with status and headers. */
export const download = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) }
  })

/**
 * A request whose path goes out exactly as given: `fetch` (like any WHATWG URL user) would resolve `..` and
 * `%2e%2e` before sending, hiding what a hostile client can send.
 */
export const sendRaw = (baseUrl: string, method: string, path: string, body?: string) =>
  Effect.promise(() =>
    new Promise<Reply>((resolve, reject) => {
      const base = new URL(baseUrl)
      const request = Http.request(
        { host: base.hostname, port: base.port, method, path, headers: { "content-length": String(body?.length ?? 0) } },
        (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (chunk: Buffer) => chunks.push(chunk))
          response.on("end", () => {
            const headers = new Headers()
            for (const [name, value] of Object.entries(response.headers)) {
              if (typeof value === "string") headers.set(name, value)
            }
            resolve(toReply(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 0, headers })))
          })
        }
      )
      request.on("error", reject)
      request.end(body)
    })
  )

/** A PUT whose body is streamed with `Transfer-Encoding: chunked` (no Content-Length), in 16 KiB pieces. */
export const putChunked = (url: string, body: Uint8Array) =>
  Effect.promise(async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < body.length; offset += 16_384) controller.enqueue(body.slice(offset, offset + 16_384))
        controller.close()
      }
    })
    // `duplex` is required by undici for a streamed body but missing from the DOM RequestInit type.
    const init: RequestInit & { duplex: "half" } = { method: "PUT", body: stream, duplex: "half" }
    return toReply(await fetch(url, init))
  })
