/** The CLI commands that work on the database directly: `migrate` and `tokens create`; and the `bin/` shim. */
import { assert, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { AccountsLive } from "../../layers/db/accounts.ts"
import { PgClientLive } from "../../layers/db/database.ts"
import { Accounts } from "../../services/accounts.ts"
import { version } from "../../src/version.ts"
import { scopedTestDatabase } from "../support/test-database.ts"
import { assertOneLineError, closedPort, runCli, scopedHome } from "../support/cli-process.ts"

it.live("migrate applies the migrations to a fresh database, then finds nothing to do", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home }
    const first = yield* runCli(["migrate"], env)
    assert.strictEqual(first.code, 0, first.stderr)
    assert.match(first.stdout, /^applied 0001_initial$/m)
    assert.match(first.stdout, /^database migrated$/m)
    const second = yield* runCli(["migrate"], env)
    assert.strictEqual(second.code, 0, second.stderr)
    assert.strictEqual(second.stdout, "database is up to date\n")
  }))

it.live("tokens create prints a token once that then authenticates against that database", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const result = yield* runCli(["tokens", "create", "--user", "carol", "--admin"], { DATABASE_URL: database.url, FISHCLOUD_HOME: home })
    assert.strictEqual(result.code, 0, result.stderr)
    const lines = result.stdout.trimEnd().split("\n")
    assert.strictEqual(lines.length, 1, "only the token on stdout")
    assert.match(lines[0]!, /^fc_\S{20,}$/)
    assert.include(result.stderr, "carol")
    const user = yield* Effect.gen(function*() {
      const accounts = yield* Accounts
      return yield* accounts.authenticate(Redacted.make(lines[0]!))
    }).pipe(Effect.provide(AccountsLive.pipe(Layer.provide(PgClientLive(Redacted.make(database.url))))), Effect.orDie)
    assert.isTrue(Option.isSome(user))
    assert.deepInclude(Option.getOrThrow(user), { name: "carol", is_admin: true })
  }))

it.live("database commands name an unreachable database in one line", () =>
  Effect.gen(function*() {
    const home = yield* scopedHome
    const port = yield* closedPort
    const env = { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nothing`, FISHCLOUD_HOME: home }
    const [migrate, tokens] = yield* Effect.all([
      runCli(["migrate"], env),
      runCli(["tokens", "create", "--user", "dave"], env)
    ], { concurrency: "unbounded" })
    assertOneLineError(migrate, "migration failed")
    assertOneLineError(migrate, "ECONNREFUSED")
    assertOneLineError(tokens, "ECONNREFUSED")
    assert.strictEqual(tokens.stdout, "")
  }))

it.live("bin/fishcloud.mjs runs the CLI", () =>
  Effect.gen(function*() {
    const home = yield* scopedHome
    const result = yield* runCli(["--version"], { FISHCLOUD_HOME: home }, { entry: "bin" })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout.trim(), `fishcloud v${version}`)
  }))
