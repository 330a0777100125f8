/**
 * The chaos run's own Postgres: the embedded server (`layers/db/embedded-postgres.ts`) in the run's folder, on one
 * pinned port so it can be stopped and started again mid-run while every service keeps the same DATABASE_URL.
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Exit, Redacted, Ref, Scope } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { embeddedPostgres } from "../../layers/db/embedded-postgres.ts"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"

interface ChaosPostgres {
  readonly url: string
  /** Stops the server (a fast shutdown: open transactions roll back, every connection drops), waits, starts it again. */
  readonly restart: (downtime: Duration.Duration) => Effect.Effect<void>
}

/**
 * Four service processes with pools of up to 20, a maintenance command and the run's own queries exceed the
 * default 100 connections, more so while a killed runner's connections are still being noticed.
 */
const maxConnections = 400

const admin = (url: string, statement: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

/** Starts the server now and stops it when the scope closes. `home` must be enterable by the postgres user. */
export const chaosPostgres = (home: string) =>
  Effect.gen(function*() {
    const port = yield* Effect.orDie(freeLoopbackPort)
    const start = Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* embeddedPostgres(home, { port }).pipe(Scope.provide(scope), Effect.orDie)
      return { scope, url: Redacted.value(server.url) }
    })
    const first = yield* start
    const current = yield* Ref.make(first.scope)
    yield* Effect.addFinalizer(() => Effect.flatMap(Ref.get(current), (scope) => Scope.close(scope, Exit.void)))
    const restart = (downtime: Duration.Duration) =>
      Effect.gen(function*() {
        yield* Scope.close(yield* Ref.get(current), Exit.void)
        yield* Effect.sleep(downtime)
        const next = yield* start
        yield* Ref.set(current, next.scope)
      })
    // max_connections is read at start only.
    yield* admin(first.url, `ALTER SYSTEM SET max_connections = ${maxConnections}`)
    yield* restart(Duration.zero)
    return { url: first.url, restart } satisfies ChaosPostgres
  })
