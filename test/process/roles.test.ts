/** `serve --role api` and `serve --role runner` as two processes on one database: the API admits, the runner runs. */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule } from "effect"
import { closedPort, firstStartToken, scopedHome, startCli } from "../cli/cli-process.ts"
import { scopedTestDatabase } from "../support/database.ts"

layer(Layer.empty, { excludeTestServices: true })("process roles", (it) => {
  it.effect("an api process and a runner process sharing one Postgres complete a job together", () =>
    Effect.gen(function*() {
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.02" }
      const apiProcess = yield* startCli(["serve", "--role", "api"], env)
      yield* apiProcess.waitForStdout(/Listening on http/)
      const runner = yield* startCli(["serve", "--role", "runner"], env)
      yield* runner.waitForStdout(/Listening on: 127\.0\.0\.1:\d+/)
      assert.notMatch(yield* runner.stdout, /Listening on http/, "a runner serves no API")

      const token = yield* firstStartToken(home)
      const call = (method: string, path: string, body?: unknown) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${port}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) })
          })
          return await response.json() as Record<string, unknown>
        })
      const created = yield* call("POST", "/api/jobs", { seed_text: "Budget vote on Friday.", goal: "Will the budget pass?", tier: "small", forecast_days: 3 })
      const finished = yield* call("GET", `/api/jobs/${created["id"]}`).pipe(
        Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (job) => ["COMPLETED", "FAILED", "CANCELLED"].includes(job["status"] as string) }),
        Effect.timeout(Duration.seconds(90)),
        Effect.orDie
      )
      assert.strictEqual(finished["status"], "COMPLETED", String(finished["error_message"]))
      yield* apiProcess.kill("SIGTERM")
      yield* runner.kill("SIGTERM")
      yield* apiProcess.result
      yield* runner.result
    }), 150_000)
})
