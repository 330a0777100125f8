/** A fresh, migrated database per test file on the run's Postgres server, dropped when the layer closes. */
import * as Crypto from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { migrate, PgClientLive } from "../../layers/db/database.ts"

const adminDatabaseUrl = () => inject("adminDatabaseUrl")

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** Runs one statement on the server's maintenance database. */
const admin = (statement: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClientLive(Redacted.make(adminDatabaseUrl()))), Effect.scoped)

/** Creates `fishcloud_test_<random>` and yields its URL; drops it (closing its connections) on release. */
export const scopedTestDatabase = Effect.acquireRelease(
  Effect.gen(function*() {
    const name = `fishcloud_test_${Crypto.randomBytes(6).toString("hex")}`
    yield* admin(`CREATE DATABASE ${name}`)
    return { name, url: withDatabase(adminDatabaseUrl(), name) }
  }),
  ({ name }) => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.orDie)
)

/** SqlClient + PgClient on a fresh migrated database. */
export const TestDatabaseLive = Layer.unwrap(
  Effect.map(scopedTestDatabase, ({ url }) => PgClientLive(Redacted.make(url)))
).pipe(Layer.tap((context) => Effect.asVoid(migrate.pipe(Effect.provide(context)))), Layer.orDie)
