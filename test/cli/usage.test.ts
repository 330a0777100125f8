/**
 * `fishcloud usage`: the caller's live jobs and month's spend against their quotas, as text or `--json`; and
 * `fishcloud quotas get|set`: an administrator reads and sets a user's quotas.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { QuotaView, Usage } from "../../src/domain/quota.ts"
import { createJob, newJob, unique } from "../support/api-fixtures.ts"
import { assertOneLineError, runCli, scopedHome } from "../support/cli-process.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

layer(TestServiceLive({ defaultMaxLiveJobs: 3, defaultMaxLiveJobsLarge: 1 }), { excludeTestServices: true })("fishcloud usage", (it) => {
  it.effect("prints live jobs and spend against the quotas; --json is the API's answer; --user is for administrators", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const name = unique("cli-usage")
      const token = yield* service.tokenFor(name)
      const api = yield* service.client(token)
      const job = yield* createJob(api, newJob({ tier: "large" }))
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE simulation_jobs SET status = 'COMPLETED', gpu_cost_usd = 1.25, llm_cost_usd = 0.5 WHERE id = ${job.id}`.pipe(Effect.orDie)
      yield* createJob(api)
      const home = yield* scopedHome
      const env = { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: token, FISHCLOUD_HOME: home }

      const [text, json, other] = yield* Effect.all([
        runCli(["usage"], env),
        runCli(["usage", "--json"], env),
        runCli(["usage", "--user", "someone-else"], env)
      ], { concurrency: "unbounded" })
      assert.strictEqual(text.code, 0, text.stderr)
      assert.match(text.stdout, /^live jobs\s+1 of 3$/m)
      assert.match(text.stdout, /^live large jobs\s+0 of 1$/m)
      assert.match(text.stdout, /^spend \d{4}-\d{2}\s+\$1\.75 of no limit \(GPU \$1\.25, LLM \$0\.50\)$/m)
      assert.match(text.stdout, /^quotas\s+the defaults$/m)

      assert.strictEqual(json.code, 0, json.stderr)
      const usage = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(Usage))(json.stdout).pipe(Effect.orDie)
      assert.strictEqual(usage.user, name)
      assert.strictEqual(usage.jobs_created, 2)
      assert.strictEqual(usage.spend_usd, 1.75)

      assertOneLineError(other, "administrator")
    }), 180_000)

  it.effect("quotas set changes only the limits given; get shows them; a bad value is one line; users cannot", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const name = unique("cli-quota-user")
      const userToken = yield* service.tokenFor(name)
      const adminToken = yield* service.tokenFor(unique("cli-quota-admin"), { admin: true })
      const home = yield* scopedHome
      const admin = { FISHCLOUD_URL: service.baseUrl, FISHCLOUD_TOKEN: adminToken, FISHCLOUD_HOME: home }

      const set = yield* runCli(["quotas", "set", name, "--max-live-jobs", "5", "--spend-cap", "12.5"], admin)
      assert.strictEqual(set.code, 0, set.stderr)
      assert.match(set.stdout, /^max live jobs\s+5$/m)
      assert.match(set.stdout, /^max live large\s+1$/m)
      assert.match(set.stdout, /^monthly cap\s+\$12\.50$/m)

      const [get, bad, refused] = yield* Effect.all([
        runCli(["quotas", "get", name, "--json"], admin),
        runCli(["quotas", "set", name, "--max-live-jobs", "lots"], admin),
        runCli(["quotas", "get", name], { ...admin, FISHCLOUD_TOKEN: userToken })
      ], { concurrency: "unbounded" })
      assert.strictEqual(get.code, 0, get.stderr)
      const view = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(QuotaView))(get.stdout).pipe(Effect.orDie)
      assert.deepStrictEqual(view, {
        user: name,
        source: "set",
        quotas: { max_live_jobs: 5, max_live_jobs_large: 1, monthly_spend_cap_usd: 12.5 }
      })
      assertOneLineError(bad, "--max-live-jobs must be a whole number")
      assert.notStrictEqual(refused.code, 0)
    }), 180_000)
})
