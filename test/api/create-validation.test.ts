import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { TestService, TestServiceLive } from "../support/service.ts"
import {
  assertBadRequest,
  assertProblem,
  callChunked,
  createJob,
  failsWith,
  firstIssue,
  jobBody,
  leavesNoRows,
  newJob,
  newUser
} from "../support/api-fixtures.ts"

/** Small on purpose, so the seed-length limit can be tested with short unicode strings. */
const maxSeedChars = 20
const oneMiB = 1024 * 1024

layer(TestServiceLive({ maxSeedChars }), { excludeTestServices: true })("POST /api/jobs validation", (it) => {
  /** Raw HTTP: what the typed client would refuse to send (or would send differently). */
  const post = (json: unknown) =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("validator")
      return yield* service.call("POST", "/api/jobs", { token, json })
    })

  // Raw HTTP: the body leaves out enrich_web to see its default, and the test checks the answer's content type.
  it.effect("a valid request answers 201 with the PENDING job as GET shows it, enrich_web defaulting to true", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("validator")
      const body = jobBody({ tier: "medium", forecast_days: 365 })
      const reply = yield* service.call("POST", "/api/jobs", { token, json: body })
      assert.strictEqual(reply.status, 201, reply.text)
      assert.strictEqual(reply.headers.get("content-type"), "application/json")
      assert.strictEqual(reply.json.status, "PENDING")
      assert.strictEqual(reply.json.seed_text, body["seed_text"])
      assert.strictEqual(reply.json.goal, body["goal"])
      assert.strictEqual(reply.json.tier, "medium")
      assert.strictEqual(reply.json.forecast_days, 365)
      assert.strictEqual(reply.json.enrich_web, true)
      assert.strictEqual(reply.json.retry_of, null)
      const fetched = yield* service.call("GET", `/api/jobs/${reply.json.id}`, { token })
      assert.deepStrictEqual(fetched.json, reply.json)
    }))

  it.effect("enrich_web false and forecast_days 1 are accepted as sent", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("validator")
      const job = yield* createJob(api, newJob({ enrich_web: false, forecast_days: 1, tier: "large" }))
      assert.strictEqual(job.enrich_web, false)
      assert.strictEqual(job.forecast_days, 1)
      assert.strictEqual(job.tier, "large")
    }))

  // Raw HTTP: the client checks the payload against the same schema and would not send these.
  it.effect("a blank seed or goal is a 400 naming the field", () =>
    Effect.gen(function*() {
      for (const blank of ["", "   ", "\n\t "]) {
        const seed = yield* leavesNoRows(post(jobBody({ seed_text: blank })))
        assert.strictEqual(assertBadRequest(seed, ["payload", "seed_text"]).message, "must not be blank")
        const goal = yield* leavesNoRows(post(jobBody({ goal: blank })))
        assertBadRequest(goal, ["payload", "goal"])
      }
    }))

  it.effect("a seed over MAX_SEED_CHARS is a 400 naming seed_text and the limit", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("validator")
      const problem = yield* leavesNoRows(
        failsWith(createJob(api, newJob({ seed_text: "x".repeat(maxSeedChars + 1) })), "BadRequestProblem")
      )
      assert.include(firstIssue(problem, ["payload", "seed_text"]).message, String(maxSeedChars))
      assert.include(problem.detail, String(maxSeedChars))
      yield* createJob(api, newJob({ seed_text: "x".repeat(maxSeedChars) }))
    }))

  it.effect("seed length counts code points: emoji and CJK exactly at the limit pass, one more fails", () =>
    Effect.gen(function*() {
      const { api } = yield* newUser("validator")
      // U+1F600 is two UTF-16 units and four UTF-8 bytes; U+6F22 is one unit and three bytes; U+1F9EA likewise 2/4.
      const samples = ["😀", "漢", "🧪字"]
      for (const unit of samples) {
        const perUnit = [...unit].length
        const atLimit = unit.repeat(maxSeedChars / perUnit)
        assert.strictEqual([...atLimit].length, maxSeedChars)
        const ok = yield* createJob(api, newJob({ seed_text: atLimit })).pipe(
          Effect.mapError((error) => new Error(`${unit} x ${maxSeedChars / perUnit}: ${String(error)}`))
        )
        assert.strictEqual(ok.seed_text, atLimit)
        const fetched = yield* api.jobs.get({ params: { id: ok.id } })
        assert.strictEqual(fetched.seed_text, atLimit, "the seed survives the round trip unchanged")

        const over = yield* leavesNoRows(
          failsWith(createJob(api, newJob({ seed_text: atLimit + "😀" })), "BadRequestProblem")
        )
        firstIssue(over, ["payload", "seed_text"])
      }
    }))

  // Raw HTTP: wrong types and out-of-range values cannot be written with the client's payload type.
  it.effect("wrong types and out-of-range values are 400s naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
        ["forecast_days as a string", { forecast_days: "7" }, "forecast_days"],
        ["forecast_days 0", { forecast_days: 0 }, "forecast_days"],
        ["forecast_days 366", { forecast_days: 366 }, "forecast_days"],
        ["forecast_days 3.5", { forecast_days: 3.5 }, "forecast_days"],
        ["forecast_days -1", { forecast_days: -1 }, "forecast_days"],
        ["forecast_days null", { forecast_days: null }, "forecast_days"],
        ["tier huge", { tier: "huge" }, "tier"],
        ["tier in capitals", { tier: "SMALL" }, "tier"],
        ["enrich_web as a string", { enrich_web: "yes" }, "enrich_web"],
        ["seed_text as a number", { seed_text: 42 }, "seed_text"],
        ["goal null", { goal: null }, "goal"]
      ]
      for (const [label, overrides, field] of cases) {
        const reply = yield* leavesNoRows(post(jobBody(overrides)))
        assert.strictEqual(reply.status, 400, `${label}: ${reply.text}`)
        assertBadRequest(reply, ["payload", field])
      }
    }))

  // Raw HTTP: the client cannot leave out a required field.
  it.effect("each missing required field is a 400 naming it", () =>
    Effect.gen(function*() {
      for (const field of ["seed_text", "goal", "tier", "forecast_days"]) {
        const body = jobBody()
        delete body[field]
        const reply = yield* leavesNoRows(post(body))
        assertBadRequest(reply, ["payload", field])
      }
    }))

  // Raw HTTP: the client checks the payload against the same schema and would not send these.
  it.effect("NUL characters in the seed or goal are a 400, not a database error", () =>
    Effect.gen(function*() {
      const seed = yield* leavesNoRows(post(jobBody({ seed_text: "before\u0000after" })))
      assert.strictEqual(assertBadRequest(seed, ["payload", "seed_text"]).message, "must not contain NUL characters")
      const goal = yield* leavesNoRows(post(jobBody({ goal: "\u0000" })))
      assertBadRequest(goal, ["payload", "goal"])
    }))

  // Raw HTTP from here on: malformed bodies, content types and body size limits.
  it.effect("malformed JSON, a JSON array and an empty body are 400 problems", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("validator")
      const headers = { "content-type": "application/json" }
      for (const body of ["{\"seed_text\": ", "not json", "[1, 2]", ""]) {
        const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", { token, headers, body }))
        assertBadRequest(reply, ["payload"])
      }
    }))

  it.effect("a body that is not declared JSON is a 415 problem", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("validator")
      const reply = yield* leavesNoRows(service.call("POST", "/api/jobs", {
        token,
        headers: { "content-type": "text/plain" },
        body: JSON.stringify(jobBody())
      }))
      assertProblem(reply, 415)
    }))

  it.effect("a body just under 1 MiB is accepted", () =>
    Effect.gen(function*() {
      const base = JSON.stringify(jobBody({ goal: "" }))
      const goal = "g".repeat(oneMiB - base.length - 1_000)
      const reply = yield* post(jobBody({ goal }))
      assert.strictEqual(reply.status, 201, reply.text.slice(0, 300))
      assert.strictEqual(reply.json.goal.length, goal.length)
    }))

  it.effect("a body over 1 MiB with a Content-Length is a 413 problem", () =>
    Effect.gen(function*() {
      const reply = yield* leavesNoRows(post(jobBody({ goal: "g".repeat(oneMiB) })))
      const problem = assertProblem(reply, 413)
      assert.include(problem.detail, String(oneMiB))
    }))

  it.effect("a chunked body over 1 MiB is refused with 413", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("validator")
      const reply = yield* leavesNoRows(
        callChunked(service.baseUrl, "/api/jobs", token, JSON.stringify(jobBody({ goal: "g".repeat(oneMiB) })))
      )
      assert.strictEqual(reply.status, 413)
    }))

  it.effect("a chunked body over 1 MiB gets a problem+json body", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("validator")
      const reply = yield* callChunked(
        service.baseUrl,
        "/api/jobs",
        token,
        JSON.stringify(jobBody({ goal: "g".repeat(oneMiB) }))
      )
      assertProblem(reply, 413)
    }))
})
