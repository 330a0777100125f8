import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { migrate, PgClientLive } from "../../layers/db/database.ts"
import { migrationSteps } from "../../migrations/index.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

/** Every migration's name, in order (`0003_pod_worker_secret` -> `pod_worker_secret`). */
const names = Object.keys(migrationSteps).map((key) => key.replace(/^\d+_/, ""))

layer(Layer.empty, { excludeTestServices: true })("migrations", (it) => {
  it.effect("several processes migrating at once apply each migration exactly once", () =>
    Effect.gen(function*() {
      const { url } = yield* scopedTestDatabase
      // Separate pools stand for separate processes starting together.
      const applied = yield* Effect.all(
        Array.from({ length: 4 }, () => migrate.pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(applied.flat().length, names.length, "one runner applied every migration, the others found nothing to do")

      const check = Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        const migrations = yield* sql<{ name: string }>`SELECT name FROM fishcloud_migrations ORDER BY migration_id`
        const tiers = yield* sql<{ sim_tier: string; max_rounds: number; target_agents: number }>`
          SELECT sim_tier, max_rounds, target_agents FROM model_routing ORDER BY max_rounds`
        return { migrations: migrations.map((m) => m.name), tiers }
      }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped)
      const { migrations, tiers } = yield* check
      assert.deepStrictEqual(migrations, names)
      assert.deepStrictEqual(names.slice(0, 3), ["initial", "llm_usage", "pod_worker_secret"])
      assert.deepStrictEqual(tiers, [
        { sim_tier: "small", max_rounds: 15, target_agents: 10 },
        { sim_tier: "medium", max_rounds: 100, target_agents: 20 },
        { sim_tier: "large", max_rounds: 200, target_agents: 35 }
      ])
      assert.lengthOf(yield* migrate.pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped), 0, "re-running is a no-op")
    }))
})
