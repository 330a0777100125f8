import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Layer, Schedule, Scope } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"
import { embeddedPostgres, isAlive } from "../../layers/db/embedded-postgres.ts"

const postmasterPid = (home: string) =>
  Effect.promise(() => Fs.readFile(NodePath.join(home, "pg", "postmaster.pid"), "utf8").then((text) => Number(text.split("\n")[0])))

const selectOne = (url: Parameters<typeof PgClientLive>[0]) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const rows = yield* sql<{ one: number }>`SELECT 1 AS one`
    return rows[0]!.one
  }).pipe(Effect.provide(PgClientLive(url)), Effect.scoped)

const tempHome = Effect.acquireRelease(
  Effect.promise(async () => {
    const home = await Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-embedded-"))
    await Fs.chmod(home, 0o755)
    return home
  }),
  (home) => Effect.promise(() => Fs.rm(home, { recursive: true, force: true }))
)

/** Starts the fixture process holding an embedded server and resolves with it once the server is ready. */
const holdInChild = (home: string) =>
  Effect.callback<ChildProcess.ChildProcess>((resume) => {
    const child = ChildProcess.spawn(process.execPath, ["test/support/fixtures/hold-embedded-postgres.ts", home], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.stdout.on("data", (chunk) => {
      if (String(chunk).includes("ready")) resume(Effect.succeed(child))
    })
  })

layer(Layer.empty, { excludeTestServices: true })("embedded Postgres", (it) => {
  it.effect("starts with nothing installed, answers queries and stops with its scope", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const scope = yield* Scope.make()
      const server = yield* embeddedPostgres(home).pipe(Scope.provide(scope))
      assert.isTrue(server.started)
      assert.strictEqual(yield* selectOne(server.url), 1)
      const pid = yield* postmasterPid(home)
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(isAlive(pid), "the server stopped with the scope")
    }), 120_000)

  it.effect("after a kill -9 of its owner, the next start reuses the running server and stops it at the end", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const child = yield* holdInChild(home)
      const pid = yield* postmasterPid(home)
      child.kill("SIGKILL")
      yield* Effect.promise(() => new Promise((resolve) => child.once("exit", resolve)))
      assert.isTrue(isAlive(pid), "Postgres outlives its killed owner")

      const scope = yield* Scope.make()
      const server = yield* embeddedPostgres(home).pipe(Scope.provide(scope))
      assert.isTrue(server.started, "the orphaned server is adopted")
      assert.strictEqual(yield* postmasterPid(home), pid, "no second server was started")
      assert.strictEqual(yield* selectOne(server.url), 1)
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(isAlive(pid))
    }), 120_000)

  it.effect("a second process on the same home shares the server and leaves it to its owner", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const child = yield* holdInChild(home)
      const pid = yield* postmasterPid(home)
      const scope = yield* Scope.make()
      const server = yield* embeddedPostgres(home).pipe(Scope.provide(scope))
      assert.isFalse(server.started)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(isAlive(pid), "still serving its owner")
      child.kill("SIGKILL")
      process.kill(pid, "SIGINT")
      // The temporary home is removed after the test: wait until Postgres stopped writing to it.
      yield* Effect.sync(() => isAlive(pid)).pipe(
        Effect.repeat({ while: (alive) => alive, schedule: Schedule.spaced("50 millis") })
      )
    }), 120_000)
})
