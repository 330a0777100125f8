/**
 * Which migrations a database has applied, against the ones this build knows (`migrations/index.ts`), without
 * applying any: what `fishcloud doctor` reports. Reads the table `migrate` writes (`database.ts`).
 */
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { migrationSteps } from "../../migrations/index.ts"
import { migrationsTable } from "./database.ts"

const AppliedRows = Schema.Array(Schema.Struct({ migration_id: Schema.Int, name: Schema.String }))
const TableRows = Schema.Array(Schema.Struct({ present: Schema.Boolean }))

interface MigrationStatus {
  /** `<id>_<name>` of every applied migration, in order. */
  readonly applied: ReadonlyArray<string>
  /** Known to this build, not applied yet (the service applies them at start). */
  readonly pending: ReadonlyArray<string>
  /** Applied, but unknown to this build: a newer fishcloud migrated this database. */
  readonly unknown: ReadonlyArray<string>
}

/** Reads the migrations table (none yet = nothing applied); fails with the query's error (the caller bounds it). */
export const migrationStatus = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [table] = yield* sql`SELECT to_regclass(${migrationsTable}) IS NOT NULL AS present`.pipe(
    Effect.flatMap(Schema.decodeUnknownEffect(TableRows))
  )
  const rows = table?.present === true
    ? yield* sql`SELECT migration_id, name FROM ${sql(migrationsTable)} ORDER BY migration_id`.pipe(
      Effect.flatMap(Schema.decodeUnknownEffect(AppliedRows))
    )
    : []
  const known = Object.keys(migrationSteps)
  const applied = rows.map((row) => `${String(row.migration_id).padStart(4, "0")}_${row.name}`)
  return {
    applied,
    pending: known.filter((id) => !applied.includes(id)),
    unknown: applied.filter((id) => !known.includes(id))
  } satisfies MigrationStatus
})
