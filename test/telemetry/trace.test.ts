/**
 * A whole job, run by `serve` as a process with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an in-test OTLP receiver:
 * the spans form the job's tree (route-named server span, workflow, one span per activity with `job.id`, SQL),
 * metrics are exported, and no secret (API token, storage signing key, presigned signature) appears in any span
 * attribute, exported body or log line.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli, untilJobFinished } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"
import { type ReceivedSpan, scopedOtlpReceiver } from "../support/otlp-receiver.ts"

layer(Layer.empty, { excludeTestServices: true })("telemetry", (it) => {
  it.effect("a job's spans and metrics reach the OTLP endpoint as one tree, with no secret in them", () =>
    Effect.gen(function*() {
      const receiver = yield* scopedOtlpReceiver
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const service = yield* startCli(["serve"], {
        DATABASE_URL: database.url,
        FISHCLOUD_HOME: home,
        PORT: port,
        POD_PROVIDER: "fake",
        FISHCLOUD_TIME_SCALE: "0.02",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: "500",
        LOG_FORMAT: "json",
        // The request lines (DEBUG) are the ones a happy path logs inside a traced span.
        LOG_LEVEL: "debug"
      })
      yield* service.waitForStdout(/Listening on http/)
      const token = yield* firstStartToken(home)
      const call = apiCaller(port, token)
      const created = (yield* call("POST", "/api/jobs", { seed_text: "Budget vote on Friday.", goal: "Will the budget pass?", tier: "small", forecast_days: 3 })).json
      const jobId = created["id"] as number
      const finished = yield* untilJobFinished(call, jobId)
      assert.strictEqual(finished["status"], "COMPLETED", String(finished["error_message"]))
      // Presigned URLs: fetching one puts a signed query string through the server (and its span).
      const simData = (yield* call("GET", `/api/jobs/${jobId}/sim-data`)).json
      const urls = Object.values(simData["files"] ?? {}) as Array<string>
      assert.isAbove(urls.length, 0)
      assert.include(urls[0], "signature=")
      yield* Effect.promise(() => fetch(urls[0]!).then((response) => response.text()))

      yield* service.kill("SIGTERM")
      const result = yield* service.result
      const logs = result.stdout + result.stderr

      const spans = receiver.spans
      const named = (name: string) => spans.filter((span) => span.name === name)
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const ancestors = (span: ReceivedSpan): Array<ReceivedSpan> => {
        const chain: Array<ReceivedSpan> = []
        let current = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)
        while (current !== undefined && chain.length < 100) {
          chain.push(current)
          current = current.parentSpanId === undefined ? undefined : byId.get(current.parentSpanId)
        }
        return chain
      }
      const summary = () => [...new Set(spans.map((span) => span.name))].sort().join(", ")

      // Resource.
      const resource = spans[0]?.resource ?? {}
      assert.strictEqual(resource["service.name"], "fishcloud")
      assert.strictEqual(resource["fishcloud.role"], "all")
      assert.isString(resource["service.version"])

      // The request that created the job: a server span named after the route template.
      const posts = named("POST /api/jobs")
      assert.strictEqual(posts.length, 1, `spans: ${summary()}`)
      const post = posts[0]!
      assert.strictEqual(post.kind, 2, "SPAN_KIND_SERVER")
      assert.strictEqual(post.attributes["http.route"], "/api/jobs")
      assert.isAbove(named("GET /api/jobs/:id").length, 0, `spans: ${summary()}`)
      assert.isAbove(ancestors(post).length + spans.filter((span) => span.parentSpanId === post.spanId).length, 0)

      // The workflow and its activities, with job.id, in the request's trace (or linked to it).
      const workflow = named("SimulationWorkflow")
      assert.isAbove(workflow.length, 0, `spans: ${summary()}`)
      const inRequestTrace = (span: ReceivedSpan) =>
        span.traceId === post.traceId || span.links.some((link) => link.traceId === post.traceId) ||
        ancestors(span).some((parent) => parent.links.some((link) => link.traceId === post.traceId))
      assert.isTrue(inRequestTrace(workflow[0]!), "the workflow carries the request's trace")
      for (const name of ["Lifecycle.provisionPod", "Lifecycle.waitHealthy", "Lifecycle.startSimulation", "Lifecycle.finalize", "Lifecycle.writeReport"]) {
        const activity = named(name)
        assert.isAbove(activity.length, 0, `${name} missing; spans: ${summary()}`)
        assert.strictEqual(activity[0]!.attributes["job.id"], jobId, name)
        assert.isTrue(inRequestTrace(activity[0]!), `${name} is in the request's trace`)
      }
      const provision = named("Lifecycle.provisionPod")[0]!
      assert.strictEqual(provision.attributes["job.tier"], "small")
      assert.strictEqual(provision.attributes["attempt"], 1)
      assert.isString(provision.attributes["pod.gpu_type"])
      assert.isString(named("Lifecycle.startSimulation")[0]!.attributes["pod.id"])
      assert.isTrue(
        ancestors(named("Lifecycle.startSimulation")[0]!).some((span) => span.name === "SimulationWorkflow"),
        "an activity's span descends from the workflow span"
      )

      // SQL spans, some of them under the request.
      const sql = spans.filter((span) => span.attributes["db.system.name"] === "postgresql" || span.attributes["db.system"] === "postgresql" || span.name.startsWith("sql."))
      assert.isAbove(sql.length, 0, `no SQL span; spans: ${summary()}`)
      assert.isTrue(sql.some((span) => span.traceId === post.traceId), "SQL spans of the request")

      // No secret anywhere: attributes, exported bodies, log lines.
      const signingKey = (yield* Effect.promise(() => Fs.readFile(NodePath.join(home, "storage-signing-key"), "utf8"))).trim()
      const signature = new URL(urls[0]!).searchParams.get("signature")!
      const exported = receiver.bodies.join("\n")
      for (const [what, secret] of [["API token", token], ["signing key", signingKey], ["presigned signature", signature]] as const) {
        assert.isAbove(secret.length, 8)
        assert.notInclude(exported, secret, `${what} exported`)
        assert.notInclude(logs, secret, `${what} logged`)
      }
      for (const span of spans) {
        for (const [key, value] of Object.entries(span.attributes)) {
          assert.notMatch(String(value), /signature=(?!REDACTED)/i, `${span.name} ${key}`)
        }
      }
      assert.notMatch(exported, /signature=(?!REDACTED)/i)
      assert.notMatch(logs, /signature=(?!REDACTED)/i)

      // JSON log lines carry trace ids (the request lines, at LOG_LEVEL=debug, carry their request's).
      const lines = logs.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>)
      assert.isAbove(lines.length, 0, logs.slice(0, 2000))
      assert.isTrue(lines.some((line) => typeof line["trace_id"] === "string"), `a log line with trace_id: ${logs.slice(0, 3000)}`)
      // (A happy-path run logs nothing inside the workflow, so `job_id` is not asserted here.)

      // Metrics: the transition counter, by target status.
      const transitions = receiver.metrics.filter((metric) => metric.name === "fishcloud.job.transitions")
      assert.isAbove(transitions.length, 0, `metrics: ${[...new Set(receiver.metrics.map((metric) => metric.name))].join(", ")}`)
      assert.isTrue(transitions.some((metric) => metric.dataPoints.some((point) => point.attributes["to"] === "COMPLETED")))
      assert.isTrue(receiver.metrics.some((metric) => metric.name === "fishcloud.lifecycle.step_duration_seconds"))
    }), 150_000)
})
