/** What the service logs of a request that dies: the cause at ERROR, with the path but not the query. */
import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Layer, Logger, References } from "effect"
import { SqlClient } from "effect/sql"
import { assertProblem } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

interface Line {
  readonly level: string
  readonly text: string
  readonly annotations: Record<string, unknown>
}

const lines: Array<Line> = []
const capture = Logger.layer([Logger.make((options) => {
  const message = Array.isArray(options.message) ? options.message : [options.message]
  lines.push({
    level: options.logLevel,
    text: [...message.map(String), Cause.pretty(options.cause)].join(" "),
    annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) }
  })
})], { mergeWithExisting: true })

layer(TestServiceLive().pipe(Layer.provide(capture)), { excludeTestServices: true })("request logs", (it) => {
  it.effect("a request that dies is logged at ERROR with its path and cause, none of which reaches the client", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor("logged-user")
      yield* service.call("GET", "/api/jobs/1", { token })
      assert.isFalse(lines.some((line) => line.level === "Error"), "an answered request (a 404) logs no error")
      const sql = yield* SqlClient.SqlClient
      yield* Effect.orDie(sql`ALTER TABLE simulation_jobs RENAME TO simulation_jobs_away`)
      const reply = yield* service.call("GET", "/api/jobs/1?signature=secret-value", { token })
      const body = assertProblem(reply, 500)
      assert.notInclude(reply.text, "simulation_jobs")
      assert.isString(body.title)
      const failed = lines.filter((line) => line.level === "Error" && line.text.includes("HTTP request failed"))
      assert.lengthOf(failed, 1)
      assert.include(failed[0]!.text, "simulation_jobs", "the cause is logged")
      assert.strictEqual(failed[0]!.annotations["http.url"], "/api/jobs/1", "the path without its query")
      assert.notInclude(JSON.stringify(lines), "secret-value")
    }))
})
