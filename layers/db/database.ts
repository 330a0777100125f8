/**
 * The job database: `@effect/sql-pg` on DATABASE_URL, or on the embedded server when it is unset.
 * Migrations run when the layer is built, so every process (API, runner, CLI `migrate`) sees the current schema.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, type Redacted } from "effect"
import { Migrator } from "effect/sql"
import { migrations } from "../../migrations/index.ts"
import { Settings } from "../../src/config.ts"
import { embeddedPostgres } from "./embedded-postgres.ts"

/** A pooled client on `url`. Timestamps are rendered by SQL, so the session runs in UTC. */
export const PgClientLive = (url: Redacted.Redacted<string>) =>
  PgClient.layer({
    url,
    maxConnections: 20,
    connectTimeout: "10 seconds",
    applicationName: "fishcloud",
    startupParameters: { timezone: "UTC" }
  })

export const migrationsTable = "fishcloud_migrations"

/** Applies every pending migration; concurrent runs serialise on the migrations table lock. */
export const migrate = Migrator.make({})({ loader: migrations, table: migrationsTable })

/** DATABASE_URL when set, else the embedded server (scoped to the layer). */
export const DatabaseUrl = Effect.gen(function*() {
  const settings = yield* Settings
  if (Option.isSome(settings.databaseUrl)) return settings.databaseUrl.value
  const server = yield* embeddedPostgres(settings.home)
  return server.url
})

/** SqlClient + PgClient on the configured database, migrated. */
export const DatabaseLive = Layer.unwrap(Effect.map(DatabaseUrl, PgClientLive)).pipe(
  Layer.tap((context) => Effect.asVoid(migrate.pipe(Effect.provide(context))))
)
