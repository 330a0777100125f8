/**
 * The runner port of a single-process service (`serve`, role `all`) when RUNNER_PORT is 0: the port it used last
 * (`$FISHCLOUD_HOME/runner-port`) when that is free, else a free one, remembered. A service restarted after a crash
 * then comes back at the same runner address, which the cluster still counts as a live runner holding the shards,
 * and takes its jobs up at once instead of after the old address is judged gone (about 10 s).
 */
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as NodePath from "node:path"
import { Effect } from "effect"
import { freeLoopbackPort } from "./free-port.ts"

/** Whether `host:port` can be listened on right now. */
const isFree = (host: string, port: number) =>
  Effect.callback<boolean>((resume) => {
    const server = Net.createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen(port, host, () => server.close(() => resume(Effect.succeed(true))))
  })

export const rememberedRunnerPort = (home: string, host: string) =>
  Effect.gen(function*() {
    const file = NodePath.join(home, "runner-port")
    const previous = Number((yield* Effect.promise(() => Fs.readFile(file, "utf8").catch(() => ""))).trim())
    if (Number.isInteger(previous) && previous > 0 && previous < 65_536 && (yield* isFree(host, previous))) return previous
    const port = yield* freeLoopbackPort
    yield* Effect.promise(() => Fs.mkdir(home, { recursive: true }).then(() => Fs.writeFile(file, `${port}\n`)))
    return port
  })
