/**
 * Durability across versions: every fixture in test/fixtures/journal-v*.json holds a job that an earlier version
 * journaled and was killed while its pod simulated (see capture-journal.ts). The current program must resume it
 * from that journal and complete it on the same pod. A renamed activity, a new required payload field or an
 * incompatible result schema makes this fail.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import { Migrator } from "effect/sql"
import { migrationsTable, PgClientLive } from "../../layers/db/database.ts"
import { migrationSteps } from "../../migrations/index.ts"
import { FakeState, saveFakeState } from "../../layers/pods/fake/fake-store.ts"
import { closedPort, scopedHome, startCli } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const fixturesDir = NodePath.resolve(import.meta.dirname, "../fixtures")

const Fixture = Schema.Struct({
  captured_with: Schema.String,
  job_id: Schema.Int,
  cluster_ddl: Schema.String,
  /** Table name -> its rows as JSON text. */
  tables: Schema.Record(Schema.String, Schema.String),
  /** The fake provider's pods and ledger, written back as they were. */
  fake_pods: FakeState
})

/** Parents before children; our migrations table is the current one's, not the fixture's. */
const loadOrder = ["users", "api_tokens", "model_routing", "simulation_jobs", "job_events", "pods", "idempotency_keys"]

const MigrationRows = Schema.fromJsonString(Schema.Array(Schema.Struct({ migration_id: Schema.Int, name: Schema.String })))

/**
 * Recreates the fixture's database as that version left it: only the migrations it had, the engine's tables as
 * they were, then every row. The service applies the newer migrations when it starts, as a real upgrade does.
 */
const restore = (url: string, fixture: typeof Fixture.Type) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const applied = yield* Schema.decodeUnknownEffect(MigrationRows)(fixture.tables["fishcloud_migrations"] ?? "[]")
    const steps = Object.entries(migrationSteps).filter(([key]) =>
      applied.some((row) => key === `${String(row.migration_id).padStart(4, "0")}_${row.name}`))
    yield* Migrator.make({})({ loader: Migrator.fromRecord(Object.fromEntries(steps)), table: migrationsTable })
    const ddl = fixture.cluster_ddl
      .split(/;\s*\n/)
      // pg_dump adds comments and psql meta-commands (restrict/unrestrict): neither is SQL.
      .map((statement) => statement.split("\n").filter((line) => !line.startsWith("--") && !line.startsWith("\\")).join("\n").trim())
      .filter((statement) => statement.length > 0 && !statement.includes("set_config('search_path'"))
    for (const statement of ddl) yield* sql.unsafe(statement)
    yield* sql`DELETE FROM model_routing`
    const clusterTables = Object.keys(fixture.tables).filter((table) => table.startsWith("cluster_"))
    for (const table of [...loadOrder, ...clusterTables]) {
      const rows = fixture.tables[table]
      if (rows === undefined) continue
      yield* sql.unsafe(`INSERT INTO ${table} OVERRIDING SYSTEM VALUE SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [rows])
    }
    const sequences = yield* sql<{ table_name: string; column_name: string }>`SELECT table_name, column_name
      FROM information_schema.columns WHERE table_schema = 'public' AND (is_identity = 'YES' OR column_default LIKE 'nextval%')`
    for (const { table_name, column_name } of sequences) {
      yield* sql.unsafe(`SELECT setval(pg_get_serial_sequence('${table_name}', '${column_name}'),
        GREATEST((SELECT max(${column_name}) FROM ${table_name}), 1))`)
    }
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

const jobState = (url: string, jobId: number) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const jobs = yield* sql<{ status: string; error_message: string | null }>`SELECT status, error_message FROM simulation_jobs WHERE id = ${jobId}`
    const pods = yield* sql<{ pod_id: string; terminated: boolean }>`SELECT pod_id, terminated_at IS NOT NULL AS terminated
      FROM pods WHERE job_id = ${jobId} AND pod_id IS NOT NULL ORDER BY id`
    return { job: jobs[0]!, pods }
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

const fixtures = (await Fs.readdir(fixturesDir)).filter((file) => /^journal-v.*\.json$/.test(file)).sort()

layer(Layer.empty, { excludeTestServices: true })("upgrades", (it) => {
  it.effect("there is at least one journal fixture", () => Effect.sync(() => assert.isAbove(fixtures.length, 0)))

  for (const file of fixtures) {
    it.effect(`a job journaled by ${file.replace(/^journal-|\.json$/g, "")} completes after the upgrade, on the same pod`, () =>
      Effect.gen(function*() {
        const text = yield* Effect.promise(() => Fs.readFile(NodePath.join(fixturesDir, file), "utf8"))
        const fixture = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(Fixture))(text).pipe(Effect.orDie)
        const database = yield* scopedTestDatabase
        const home = yield* scopedHome
        yield* restore(database.url, fixture)
        yield* saveFakeState(home, fixture.fake_pods)

        const port = String(yield* closedPort)
        const service = yield* startCli(["serve"], { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.05" })
        const final = yield* jobState(database.url, fixture.job_id).pipe(
          Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (state) => ["COMPLETED", "FAILED", "CANCELLED"].includes(state.job.status) }),
          Effect.timeout(Duration.seconds(90)),
          Effect.catchTag("TimeoutError", () =>
            Effect.flatMap(service.stdout, (out) => Effect.die(`the job did not finish; the service said:\n${out.slice(-4000)}`)))
        )
        assert.strictEqual(final.job.status, "COMPLETED", final.job.error_message ?? "")
        const journaledPods = fixture.fake_pods.pods
        assert.deepStrictEqual(final.pods.map((pod) => pod.pod_id), journaledPods.map((pod) => pod.id), "no new pod")
        assert.isTrue(final.pods.every((pod) => pod.terminated))
        yield* service.kill("SIGTERM")
        yield* service.result
      }), 150_000)
  }
})
