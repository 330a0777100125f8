/** `serve --role api` and `serve --role runner` as two processes on one database: the API admits, the runner runs. */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli, untilJobFinished } from "../support/cli-process.ts"
import { eventuallyEffect } from "../support/eventually.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

layer(Layer.empty, { excludeTestServices: true })("process roles", (it) => {
  it.effect("an api process and a runner process sharing one Postgres complete a job together", () =>
    Effect.gen(function*() {
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port, POD_PROVIDER: "fake", FISHCLOUD_TIME_SCALE: "0.02" }
      const apiProcess = yield* startCli(["serve", "--role", "api"], env)
      yield* apiProcess.waitForStdout(/Listening on http/)
      const probePort = String(yield* closedPort)
      const runner = yield* startCli(["serve", "--role", "runner"], { ...env, RUNNER_HEALTH_PORT: probePort })
      yield* runner.waitForStdout(/Listening on: 127\.0\.0\.1:\d+/)
      // The runner's probes: ready once it holds shards; nothing of the API on that port.
      const probe = (path: string) =>
        Effect.promise(() => fetch(`http://127.0.0.1:${probePort}${path}`).then((response) => response.status, () => 0))
      yield* eventuallyEffect("the runner is ready", Effect.map(probe("/api/ready"), (status) => status === 200), 60_000)
      assert.strictEqual(yield* probe("/api/health"), 200)
      assert.strictEqual(yield* probe("/api/jobs"), 404, "a runner serves no API")

      const token = yield* firstStartToken(home)
      const call = apiCaller(port, token)
      // An api process has no runner part to wait for.
      yield* eventuallyEffect("the api process is ready", Effect.map(call("GET", "/api/ready"), (reply) => reply.status === 200), 60_000)
      const created = (yield* call("POST", "/api/jobs", { seed_text: "Budget vote on Friday.", goal: "Will the budget pass?", tier: "small", forecast_days: 3 })).json
      const finished = yield* untilJobFinished(call, created["id"] as number)
      assert.strictEqual(finished["status"], "COMPLETED", String(finished["error_message"]))
      yield* apiProcess.kill("SIGTERM")
      yield* runner.kill("SIGTERM")
      yield* apiProcess.result
      yield* runner.result
    }), 150_000)
})
