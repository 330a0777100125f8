import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { Readiness } from "../../src/readiness.ts"
import { assertProblem } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

layer(TestServiceLive(), { excludeTestServices: true })("GET /api/ready", (it) => {
  it.effect("is 200 once the first-start bootstrap has written the local token", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", "/api/ready")
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.status, "ready")
      // The part was pending until the bootstrap ended, so the token file exists by now.
      assert.isTrue(yield* Effect.promise(() => import("node:fs/promises").then((fs) => fs.stat(`${service.home}/token`).then(() => true))))
    }))

  it.effect("is 503 naming a migration the database has not applied, and 200 again once it is", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const sql = yield* SqlClient.SqlClient
      const [last] = yield* sql<{ migration_id: number; name: string }>`SELECT migration_id, name FROM fishcloud_migrations
        ORDER BY migration_id DESC LIMIT 1`.pipe(Effect.orDie)
      yield* sql`DELETE FROM fishcloud_migrations WHERE migration_id = ${last!.migration_id}`.pipe(Effect.orDie)
      const reply = yield* service.call("GET", "/api/ready")
      yield* sql`INSERT INTO fishcloud_migrations (migration_id, name) VALUES (${last!.migration_id}, ${last!.name})`.pipe(Effect.orDie)
      const body = assertProblem(reply, 503, "not-ready")
      const expected = `${String(last!.migration_id).padStart(4, "0")}_${last!.name}`
      assert.deepStrictEqual(body.missing, [`database migrations not applied: ${expected}`])
      assert.strictEqual((yield* service.call("GET", "/api/ready")).status, 200)
      // Liveness does not care.
      assert.strictEqual((yield* service.call("GET", "/api/health")).status, 200)
    }))
})

layer(TestServiceLive({}, { readinessParts: ["first-start bootstrap", "runner registration"] }), { excludeTestServices: true })(
  "GET /api/ready on a process that runs workflows",
  (it) => {
    it.effect("is 503 naming the runner until it holds shards, then 200", () =>
      Effect.gen(function*() {
        const service = yield* TestService
        const body = assertProblem(yield* service.call("GET", "/api/ready"), 503, "not-ready")
        assert.deepStrictEqual(body.missing, ["runner registration"])
        assert.include(body.detail, "runner registration")
        yield* (yield* Readiness).done("runner registration")
        assert.strictEqual((yield* service.call("GET", "/api/ready")).status, 200)
      }))
  }
)
