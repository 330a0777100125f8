/**
 * Several API services on ONE database, as separate processes of a deployment would be: each has its own pool,
 * settings and port. For the tests of what must hold across processes (rate limits shared through the database).
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Context, Effect, Layer, Redacted, References } from "effect"
import { HttpServer } from "effect/http"
import { migrate, PgClientLive } from "../../layers/db/database.ts"
import { Accounts } from "../../services/accounts.ts"
import { type ServiceConfig, SettingsWith } from "../../src/config.ts"
import { ServiceLive } from "../../src/server.ts"
import { RecordingLifecycleLive } from "./recording-lifecycle.ts"
import { scopedTestDatabase } from "./test-database.ts"

interface ApiProcess {
  readonly baseUrl: string
  readonly tokenFor: (user: string) => Effect.Effect<string>
}

const QuietLogs = Layer.succeed(References.MinimumLogLevel, "Warn")

const scopedHome = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-test-home-"))),
  (home) => Effect.promise(() => Fs.rm(home, { recursive: true, force: true }))
)

/** `count` API services on one fresh migrated database, started one after the other, with `overrides` applied. */
export const apiProcesses = (count: number, overrides: Partial<ServiceConfig> = {}) =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const url = Redacted.make(database.url)
    yield* migrate.pipe(Effect.provide(PgClientLive(url)), Effect.scoped, Effect.orDie)
    const processes: Array<ApiProcess> = []
    for (let n = 0; n < count; n++) {
      const home = yield* scopedHome
      const context = yield* Layer.build(
        ServiceLive(PgClientLive(url), RecordingLifecycleLive).pipe(
          Layer.provideMerge(SettingsWith({ port: 0, host: "127.0.0.1", home, ...overrides })),
          Layer.provide(QuietLogs),
          Layer.orDie
        )
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      const accounts = Context.get(context, Accounts)
      processes.push({
        baseUrl: address._tag === "UnixPathAddress" ? "" : `http://127.0.0.1:${address.port}`,
        tokenFor: (user) => accounts.issueToken(user).pipe(Effect.map((issued) => Redacted.value(issued.token)), Effect.orDie)
      })
    }
    return processes
  })
