/**
 * The whole API fuzzed from its own schemas (issue #15 item 5). For every endpoint of the HttpApi definition and every
 * live route beside it, seeded property checks send generated requests (valid ones from `Arbitrary.schema` of the
 * endpoint's schemas, and adversarial ones: see test/support/fuzz-cases.ts) over real HTTP to the in-process service
 * (real Postgres, recording lifecycle) and check every answer (test/support/fuzz-checks.ts): never a 5xx, never a
 * crash or a hang (a 10 s deadline per request, and the service still answers `/api/health` after each endpoint),
 * every error an RFC 9457 problem, every success decodes with the declared schema, and nothing of another user (a
 * second user whose jobs carry a recognisable marker) in any answer.
 *
 * Budget: FUZZ_RUNS cases per endpoint (default 200 in `npm test`; `npm run fuzz` runs 2,000), seed FUZZ_SEED
 * (default 15), FUZZ_CONCURRENCY requests in flight (default 4). A failure prints the shrunk request and a replay token.
 * Measured on the 2-core machine, 43 routes (35 HttpApi endpoints + 8 live routes): 200 cases each (8,600) in 44 s
 * when it was otherwise idle (107 s while other test runs loaded it to 10-14; 130-190 s one request at a time, hence
 * 4 in flight); 1,000 each (43,000) in 115 s. jobs.create is the slowest route (~75 ms a case under load).
 */
import { assert, layer } from "@effect/vitest"
import { Arbitrary, Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { liveStatuses } from "../../src/domain/status.ts"
import { createJob, newJob, setStatus, unique } from "../support/api-fixtures.ts"
import { apiEndpoints, type Endpoint, type FuzzCase, fuzzCases, type FuzzWorld, liveEndpoints } from "../support/fuzz-cases.ts"
import { violations } from "../support/fuzz-checks.ts"
import { send } from "../support/fuzz-http.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

const runs = Number(process.env["FUZZ_RUNS"] ?? "200")
const seed = Number(process.env["FUZZ_SEED"] ?? "15")
/** Requests in flight at once (the generated cases and their order stay the same). */
const concurrency = Number(process.env["FUZZ_CONCURRENCY"] ?? "4")
const requestDeadlineMillis = 10_000

/** The other user's data carries this marker (and their name and token): finding it in an answer is a leak. */
const marker = "zq7victim"

class Victim extends Context.Service<Victim, {
  readonly ids: ReadonlyArray<number>
  readonly markers: ReadonlyArray<string>
}>()("test/FuzzVictim") {}

/** A user with jobs in every status, each holding `marker`: one shared, one a draft. */
const VictimLive = Layer.effect(Victim, Effect.gen(function*() {
  const service = yield* TestService
  const name = `${marker}-user`
  const token = yield* service.tokenFor(name)
  const api = yield* service.client(token)
  const job = () => newJob({ goal: `${marker} goal ${unique("v")}`, seed_text: `${marker} seed: the tram vote.` })
  const pending = yield* createJob(api, job())
  const completed = yield* createJob(api, job())
  yield* setStatus(completed.id, "COMPLETED")
  const failed = yield* createJob(api, job())
  yield* setStatus(failed.id, "FAILED")
  const draft = yield* api.drafts.create({ payload: { seed_text: `${marker} draft seed`, goal: `${marker} draft goal`, enrich_web: true } })
  yield* api.results.share({ params: { id: completed.id } })
  return { ids: [pending.id, completed.id, failed.id, draft.id], markers: [marker, token.toLowerCase()] }
}).pipe(Effect.orDie))

/**
 * For one endpoint: a fresh caller with its own jobs (pending, completed and shared, failed, cancelled, a draft), and a
 * fresh administrator (the fuzzer may revoke tokens).
 */
const freshWorld = Effect.gen(function*() {
  const service = yield* TestService
  const victim = yield* Victim
  // The previous endpoints' fuzzers started jobs that would fill the queue (MAX_QUEUED_JOBS): end them, as the engine would.
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE simulation_jobs SET status = 'CANCELLED', updated_at = now()
    WHERE status IN ${sql.in(liveStatuses)} AND id NOT IN ${sql.in(victim.ids)}`
  const token = yield* service.tokenFor(unique("fuzzer"))
  const adminToken = yield* service.tokenFor(unique("fuzz-admin"), { admin: true })
  const api = yield* service.client(token)
  const pending = yield* createJob(api)
  const completed = yield* createJob(api)
  yield* setStatus(completed.id, "COMPLETED")
  const failed = yield* createJob(api)
  yield* setStatus(failed.id, "FAILED")
  const cancelled = yield* createJob(api)
  yield* setStatus(cancelled.id, "CANCELLED")
  const draft = yield* api.drafts.create({ payload: { seed_text: "draft", enrich_web: true } })
  const link = yield* api.results.share({ params: { id: completed.id } })
  const world: FuzzWorld = {
    token,
    adminToken,
    ownIds: [pending.id, completed.id, failed.id, cancelled.id, draft.id],
    victimIds: victim.ids,
    ownShareToken: link.url.split("/").at(-1) ?? ""
  }
  return world
}).pipe(Effect.orDie)

const describeCase = (fuzzCase: FuzzCase) =>
  `${fuzzCase.kind}: ${fuzzCase.request.method} ${fuzzCase.request.path.slice(0, 200)} ` +
  `headers ${JSON.stringify(fuzzCase.request.headers).slice(0, 300)} body ${String(fuzzCase.request.body).slice(0, 200)}`

/** Checks `runs` generated requests to `endpoint`, then that the service still answers. */
const fuzz = (endpoint: Endpoint) =>
  Effect.gen(function*() {
    const service = yield* TestService
    const victim = yield* Victim
    const port = Number(new URL(service.baseUrl).port)
    const world = yield* freshWorld
    const result = yield* Arbitrary.checkEffect(
      fuzzCases(endpoint, world),
      (fuzzCase) =>
        send(port, fuzzCase.request, requestDeadlineMillis).pipe(
          Effect.mapError((error) => `${error.reason}\n${describeCase(fuzzCase)}`),
          Effect.flatMap((reply) => {
            const found = violations(endpoint, fuzzCase, reply, victim.markers)
            return found.length === 0
              ? Effect.succeed(true)
              : Effect.fail(`${found.join("; ")}\n${describeCase(fuzzCase)}\nanswer ${reply.status}: ${reply.text.slice(0, 500)}`)
          })
        ),
      { runs, concurrency, seed: `${seed}:${endpoint.name}`, maxShrinks: 30 }
    )
    assert.strictEqual(result._tag, "Passed", Arbitrary.formatCheckFailure(result))
    const health = yield* send(port, { method: "GET", path: "/api/health", headers: {} }, requestDeadlineMillis)
    assert.strictEqual(health.status, 200, "the service stopped answering after the fuzzing")
  })

const endpoints = [...apiEndpoints(), ...liveEndpoints]

/**
 * Rate limits and back-pressure off (they have their own tests): with them, most fuzzed requests would only meet a 429,
 * and the creates of one endpoint's run would make the next endpoint's seeding a 503.
 */
const FuzzServiceLive = TestServiceLive({
  rateLimitReadsPerMinute: 0,
  rateLimitWritesPerMinute: 0,
  rateLimitAnonymousPerMinute: 0,
  maxQueuedJobs: 1_000_000
})

layer(VictimLive.pipe(Layer.provideMerge(FuzzServiceLive)), { excludeTestServices: true, timeout: 120_000 })(
  `the API fuzzed from its schemas (${runs} cases per endpoint, seed ${seed})`,
  (it) => {
    it("walks every endpoint of the definition", () => {
      assert.isAtLeast(apiEndpoints().length, 25)
    })
    for (const endpoint of endpoints) {
      it.effect(`${endpoint.name} (${endpoint.method} ${endpoint.path})`, () => fuzz(endpoint), { timeout: Math.max(60_000, runs * 300) })
    }
  }
)
