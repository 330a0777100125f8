/**
 * A real HTTP server on 127.0.0.1 (a free port) as a scoped resource, for the fakes and receivers in test/support:
 * one place for the loopback-server lifecycle. `url` is `http://127.0.0.1:<port>` (no trailing slash). When the
 * scope ends, every connection is closed (`closeAllConnections()`, so keep-alive or held-back requests cannot stall
 * it) and then the server (`close()`). A failure to listen is a defect.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

export const scopedLoopbackServer = (handler: Http.RequestListener) =>
  Effect.acquireRelease(
    Effect.callback<Http.Server>((resume) => {
      const server = Http.createServer(handler)
      server.once("error", (error) => resume(Effect.die(error)))
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.map((server) => ({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
  )

/** A request listener that reads the whole body (UTF-8) before handing the request to `handle`. */
export const withBody = (handle: (request: Http.IncomingMessage, response: Http.ServerResponse, body: string) => void): Http.RequestListener =>
(request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")))
}
