/**
 * `npm run bench -- --quick` still works: it runs a few jobs through fishcloud and the raw engine and prints and
 * writes the comparison. No figure is asserted (speed belongs to the bench, not to a test on a busy machine); what
 * is asserted is that every figure was measured and every job completed.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"

const root = NodePath.resolve(import.meta.dirname, "../..")

layer(Layer.empty, { excludeTestServices: true })("npm run bench -- --quick", (it) => {
  it.effect("measures every figure for fishcloud and the raw engine, and every job completes", () =>
    Effect.gen(function*() {
      const out = yield* Effect.acquireRelease(
        Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-bench-smoke-"))),
        (folder) => Effect.promise(() => Fs.rm(folder, { recursive: true, force: true }))
      )
      const run = yield* Effect.promise(() =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = ChildProcess.spawn(process.execPath, ["test/bench/run.ts", "--quick", "--out", out], {
            cwd: root,
            stdio: ["ignore", "pipe", "pipe"]
          })
          let output = ""
          child.stdout.on("data", (chunk) => output += String(chunk))
          child.stderr.on("data", (chunk) => output += String(chunk))
          child.once("exit", (code) => resolve({ code, output }))
        }))
      assert.strictEqual(run.code, 0, run.output)
      assert.include(run.output, "every job COMPLETED")
      const [file] = yield* Effect.promise(() => Fs.readdir(out))
      const report = JSON.parse(yield* Effect.promise(() => Fs.readFile(NodePath.join(out, file!), "utf8"))) as {
        figures: ReadonlyArray<{ figure: string; fishcloud: number | null; raw_engine: number | null }>
        activities_per_job: number
        api: {
          endpoints: ReadonlyArray<{
            endpoint: string
            p99Ms: number
            errors: number
            non2xx: number
            cpuMsPerRequest: number
            floor?: { p99Ms: number; cpuMsPerRequest: number }
          }>
          events: { written: number; delivered: number }
        }
        cancel: { cancel_to_terminated_max_seconds: number | null; waste_after_finish_max_seconds: number | null; pods_left_up: number }
      }
      assert.isAbove(report.api.events.written, 0)
      assert.strictEqual(report.api.events.delivered, report.api.events.written, "every streamed event reached its client")
      assert.isNumber(report.cancel.cancel_to_terminated_max_seconds, "a cancelled job's pod was terminated")
      assert.isNumber(report.cancel.waste_after_finish_max_seconds, "a completed job's pod was terminated")
      assert.strictEqual(report.cancel.pods_left_up, 0, "no pod is left up")
      assert.lengthOf(report.figures, 7)
      for (const figure of report.figures) {
        assert.isNumber(figure.fishcloud, figure.figure)
        assert.isNumber(figure.raw_engine, figure.figure)
      }
      assert.isAbove(report.activities_per_job, 5, "the floor runs as many activities as a job")
      assert.deepStrictEqual(report.api.endpoints.map((e) => e.endpoint), ["GET /api/jobs/:id", "GET /api/jobs (first page)", "POST /api/jobs"])
      for (const endpoint of report.api.endpoints) {
        assert.isNumber(endpoint.p99Ms, endpoint.endpoint)
        assert.strictEqual(endpoint.errors + endpoint.non2xx, 0, `${endpoint.endpoint} answered every request with a 2xx`)
        // A few requests may take less than one clock tick of CPU (10 ms): measured, not necessarily above 0.
        assert.isNumber(endpoint.cpuMsPerRequest, `${endpoint.endpoint}: the service's CPU per request`)
      }
      // The reads beside their floor (bare node:http and the same driver), measured in the same run.
      for (const read of report.api.endpoints.filter((e) => e.endpoint.startsWith("GET"))) {
        assert.isNumber(read.floor?.p99Ms, `${read.endpoint}: the floor answered`)
        assert.isNumber(read.floor?.cpuMsPerRequest, `${read.endpoint}: the floor's CPU per request`)
      }
    }).pipe(Effect.scoped), 300_000)
})
