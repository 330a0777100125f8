import * as Net from "node:net"
import { Data, Effect } from "effect"

export class NoFreePort extends Data.TaggedError("NoFreePort")<{ readonly cause: unknown }> {}

/** A loopback port that was free a moment ago (bound, then released). */
export const freeLoopbackPort = Effect.callback<number, NoFreePort>((resume) => {
  const server = Net.createServer()
  server.once("error", (cause) => resume(Effect.fail(new NoFreePort({ cause }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})
