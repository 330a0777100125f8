/**
 * Following a job in the service's log, as an operator would: `serve` as a process with LOG_FORMAT=json runs a job
 * on rehearsal pods; its JSON lines with that job's `job_id` tell its whole story, one INFO line per status change and
 * pod event, with trace ids where a step's span is current; and the cluster's start-up warning for a single runner
 * (`No healthy runners available`) is not a WARN.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option, Schema } from "effect"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli, untilJobFinished } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const LogLine = Schema.Struct({
  message: Schema.Unknown,
  level: Schema.String,
  job_id: Schema.optional(Schema.Unknown),
  trace_id: Schema.optional(Schema.String)
})
const decodeLine = Schema.decodeUnknownOption(Schema.fromJsonString(LogLine))
const text = (message: unknown) => Array.isArray(message) ? message.map(String).join(" ") : String(message)

layer(Layer.empty, { excludeTestServices: true })("the service's log", (it) => {
  it.effect("a job followed by its job_id in the JSON log: every status change and pod event, in order", () =>
    Effect.gen(function*() {
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const service = yield* startCli(["serve"], {
        DATABASE_URL: database.url,
        FISHCLOUD_HOME: home,
        PORT: port,
        POD_PROVIDER: "fake",
        FISHCLOUD_TIME_SCALE: "0.02",
        LOG_FORMAT: "json"
      })
      yield* service.waitForStdout(/Listening on http/)
      const call = apiCaller(port, yield* firstStartToken(home))
      const created = (yield* call("POST", "/api/jobs", { seed_text: "Budget vote on Friday.", goal: "Will the budget pass?", tier: "small", forecast_days: 3 })).json
      const jobId = created["id"] as number
      const finished = yield* untilJobFinished(call, jobId)
      assert.strictEqual(finished["status"], "COMPLETED", String(finished["error_message"]))
      yield* service.kill("SIGTERM")
      const result = yield* service.result

      const lines = result.stdout.split("\n").filter((line) => line.trim().length > 0).map((line) => {
        const decoded = decodeLine(line)
        assert.isTrue(Option.isSome(decoded), `a log line that is not JSON: ${line}`)
        return Option.getOrThrow(decoded)
      })
      const story = lines.filter((line) => line.job_id === jobId && text(line.message).startsWith(`job ${jobId} `))
      const pod = `fishcloud-sim-j${jobId}-a1`
      const expected = [
        `job ${jobId} started (small, 3 days, `,
        `job ${jobId} PROVISIONING (renting `,
        `job ${jobId} pod ${pod} created (`,
        `job ${jobId} pod ${pod} ready`,
        `job ${jobId} RUNNING on pod ${pod} (`,
        `job ${jobId} REPORTING`,
        `job ${jobId} pod ${pod} terminated (completed)`,
        `job ${jobId} COMPLETED in `
      ]
      assert.deepStrictEqual(
        story.map((line) => expected.find((start) => text(line.message).startsWith(start)) ?? text(line.message)),
        expected,
        story.map((line) => text(line.message)).join("\n")
      )
      for (const line of story) assert.strictEqual(line.level, "INFO", text(line.message))
      // Lines logged inside a step carry its trace (the RUNNING line comes from the run watcher's poll, outside any).
      const provisioning = story.find((line) => text(line.message).includes("PROVISIONING"))!
      assert.match(provisioning.trace_id ?? "", /^[0-9a-f]{32}$/)

      const warnings = lines.filter((line) => line.level === "WARN").map((line) => text(line.message))
      assert.notInclude(warnings.join("\n"), "No healthy runners available", "a single runner's start is no warning")
    }), 180_000)
})
