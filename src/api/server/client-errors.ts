/**
 * Requests that Node's HTTP parser refuses before any route sees them (a head over 16 KiB, a malformed
 * Content-Length, bytes that are not allowed in a path) are answered by Node with a bare `400`/`431` and no body. The
 * server created here answers them with an RFC 9457 problem like every other error (found by the fuzz suite).
 */
import { createServer, type Server } from "node:http"
import type { Duplex } from "node:stream"

const statusOf = (code: string | undefined) =>
  code === "HPE_HEADER_OVERFLOW" ? 431 : code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400

const titles: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" }

const details: Record<number, string> = {
  400: "The request is not valid HTTP",
  408: "The request was not received in time",
  431: "The request's line and headers exceed 16 KiB"
}

/** The raw HTTP/1.1 response for a refused request (the connection closes after it). */
const clientErrorResponse = (code: string | undefined) => {
  const status = statusOf(code)
  const body = JSON.stringify({ type: "about:blank", title: titles[status], status, detail: details[status] })
  return `HTTP/1.1 ${status} ${titles[status]}\r\n` +
    "Content-Type: application/problem+json\r\n" +
    "X-Content-Type-Options: nosniff\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    "Connection: close\r\n\r\n" +
    body
}

/** `http.createServer()` whose parser errors answer problem bodies instead of Node's empty ones. */
export const createProblemServer = (): Server => {
  const server = createServer()
  server.on("clientError", (error: Error & { readonly code?: string }, socket: Duplex) => {
    // A reset or a socket already answered: nothing can be sent.
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy()
      return
    }
    socket.end(clientErrorResponse(error.code))
  })
  return server
}
