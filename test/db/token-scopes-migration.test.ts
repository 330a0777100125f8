/**
 * Migration 0009 on a database that already has users, tokens and sessions: nothing that worked stops working.
 * Administrators' tokens and sessions get the admin scope, everyone else's submit, and every token gets a name.
 */
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Migrator } from "effect/sql"
import { migrationsTable, PgClientLive } from "../../layers/db/database.ts"
import { migrationSteps } from "../../migrations/index.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const stepsBefore = Object.fromEntries(Object.entries(migrationSteps).filter(([key]) => key < "0009"))
const migrateTo = (steps: typeof stepsBefore) => Migrator.make({})({ loader: Migrator.fromRecord(steps), table: migrationsTable })

layer(Layer.empty, { excludeTestServices: true })("migration 0009_token_scopes", (it) => {
  it.effect("existing tokens keep working: admins' get admin, others' submit, sessions by their user", () =>
    Effect.gen(function*() {
      const { url } = yield* scopedTestDatabase
      const rows = yield* Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        yield* migrateTo(stepsBefore)
        yield* sql`INSERT INTO users (name, is_admin) VALUES ('root', true), ('ann', false)`
        yield* sql`INSERT INTO api_tokens (user_id, token_sha256, kind, expires_at)
          SELECT id, name || '-api', 'api', NULL FROM users
          UNION ALL SELECT id, name || '-session', 'session', now() + interval '1 hour' FROM users`
        yield* migrateTo(migrationSteps)
        return yield* sql<{ token_sha256: string; scope: string; name: string; revoked: boolean }>`
          SELECT token_sha256, scope, name, revoked_at IS NOT NULL AS revoked FROM api_tokens ORDER BY token_sha256`
      }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped)
      assert.deepStrictEqual(rows.map((row) => [row.token_sha256, row.scope, row.revoked]), [
        ["ann-api", "submit", false],
        ["ann-session", "submit", false],
        ["root-api", "admin", false],
        ["root-session", "admin", false]
      ])
      assert.strictEqual(rows.find((row) => row.token_sha256 === "root-session")!.name, "dashboard session")
      assert.match(rows.find((row) => row.token_sha256 === "ann-api")!.name, /^token \d+$/)
    }))
})
