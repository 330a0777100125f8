/**
 * The service's log as an operator follows a job (`src/lifecycle/job-log.ts`): with LOG_FORMAT=json, one INFO line per
 * status change and pod event, each with the job's `job_id`, in the order they happened; a failed job's line says why.
 * The scenario's log goes through the service's own logger (`LoggerLive`) into a test console.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { TestConsole } from "effect/testing"
import { LoggerLive } from "../../layers/telemetry/telemetry.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { configFromEnv } from "../support/config-env.ts"
import { insertPendingJob, jobRow, runJob, ScenarioLive, type ScenarioOptions } from "../support/scenario.ts"
import { TestDatabaseLive } from "../support/test-database.ts"

const LogLine = Schema.Struct({ message: Schema.Unknown, level: Schema.String, job_id: Schema.optional(Schema.Unknown) })
const decodeLine = Schema.decodeUnknownOption(Schema.fromJsonString(LogLine))

/** The scenario with the service's JSON logger writing into a test console. */
const scenarioWithJsonLog = (options: ScenarioOptions = {}) =>
  ScenarioLive(options).pipe(
    Layer.provideMerge(Layer.mergeAll(LoggerLive.pipe(Layer.provide(configFromEnv({ LOG_FORMAT: "json" }))), TestConsole.layer))
  )

/** The messages of the JSON lines about job `id` (by their `job_id`), with their levels. */
const jobLines = (id: JobId) =>
  Effect.gen(function*() {
    const lines: Array<{ readonly message: string; readonly level: string }> = []
    for (const raw of yield* TestConsole.logLines) {
      const text = Array.isArray(raw) ? raw.join(" ") : String(raw)
      const line = decodeLine(text)
      assert.isTrue(line._tag === "Some", `a log line that is not JSON: ${text}`)
      if (line._tag === "None" || line.value.job_id !== id) continue
      const message = Array.isArray(line.value.message) ? line.value.message.join(" ") : String(line.value.message)
      lines.push({ message, level: line.value.level })
    }
    return lines
  })

/** The job's story lines (those starting `job <id> `), in order. */
const story = (id: JobId) =>
  Effect.map(jobLines(id), (lines) => lines.filter((line) => line.message.startsWith(`job ${id} `)))

layer(TestDatabaseLive)("lifecycle: the job's log", (it) => {
  it.effect("a completed job: one INFO line per transition and pod event, each with its job_id", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob({ goal: "Will the tram line be approved?" })
      yield* runJob(id)
      assert.strictEqual((yield* jobRow(id)).status, "COMPLETED")
      const lines = yield* story(id)
      for (const line of lines) assert.strictEqual(line.level, "INFO", line.message)
      const pod = `fishcloud-sim-j${id}-a1`
      const expected: ReadonlyArray<RegExp> = [
        new RegExp(`^job ${id} started \\(small, 30 days, .+\\)$`),
        new RegExp(`^job ${id} PROVISIONING \\(renting .+\\)$`),
        new RegExp(`^job ${id} pod ${pod} created \\(.+, \\$\\d+\\.\\d\\d/h, id \\S+\\)$`),
        new RegExp(`^job ${id} pod ${pod} ready$`),
        new RegExp(`^job ${id} RUNNING on pod ${pod} \\(.+, \\$\\d+\\.\\d\\d/h\\)$`),
        new RegExp(`^job ${id} REPORTING \\(artifacts stored, pod released next\\)$`),
        new RegExp(`^job ${id} pod ${pod} terminated \\(completed\\)$`),
        new RegExp(`^job ${id} COMPLETED in (\\d+m )?\\d+s, GPU \\$\\d+\\.\\d\\d, LLM \\$\\d+\\.\\d\\d$`)
      ]
      assert.strictEqual(
        lines.length,
        expected.length,
        `expected one line per event, got:\n${lines.map((line) => line.message).join("\n")}`
      )
      expected.forEach((pattern, index) => assert.match(lines[index]!.message, pattern))
    }).pipe(Effect.provide(scenarioWithJsonLog())), 60_000)

  it.effect("a failed job: its pods' lines, then FAILED with why, with its job_id", () =>
    Effect.gen(function*() {
      const id = yield* insertPendingJob({ goal: "Will the tram line be approved?" })
      yield* runJob(id)
      const row = yield* jobRow(id)
      assert.strictEqual(row.status, "FAILED")
      const messages = (yield* story(id)).map((line) => line.message)
      for (const attempt of [1, 2]) {
        const pod = `fishcloud-sim-j${id}-a${attempt}`
        assert.include(messages, `job ${id} pod ${pod} ready`)
        assert.include(messages, `job ${id} pod ${pod} terminated (bad_host)`)
      }
      assert.strictEqual(messages.at(-1), `job ${id} FAILED: ${row.error_message}`)
      assert.match(messages.at(-1)!, /^job \d+ FAILED: bad_host: pod \S+ not healthy after 900s/)
      assert.notInclude(messages.join("\n"), "RUNNING", "the job never ran")
    }).pipe(Effect.provide(scenarioWithJsonLog({ faults: ["bad-host"], faultyPods: 2 }))), 60_000)
})
