/**
 * No secret leaks: `serve` as a process runs a whole job (rehearsal pods, the LLM steps on the fake xAI and Anthropic
 * servers) with every secret setting set to a recognisable value, and nothing it lets out contains any of them:
 * not a log line (LOG_FORMAT=json, LOG_LEVEL=debug), not a span or metric exported to OTLP (attributes and raw
 * bodies), not a response body (successes and every kind of error), not an event of the job (SSE and its rows).
 * The database password is real: a role of its own with a password, for this test.
 */
import * as Crypto from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { PgClientLive } from "../../layers/db/database.ts"
import { startAlertReceiver } from "../support/alert-receiver.ts"
import { closedPort, firstStartToken, scopedHome, startCli, untilJobFinished } from "../support/cli-process.ts"
import { fakeAnthropic } from "../support/fake-anthropic.ts"
import { startFakeXai } from "../support/fake-xai.ts"
import { scopedOtlpReceiver } from "../support/otlp-receiver.ts"
import { parseSse } from "../support/sse.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

/** A recognisable secret of one kind: long, unique to this run, and found by a plain substring search. */
const secretOf = (kind: string) => `SECRET${kind}x${Crypto.randomBytes(12).toString("hex")}`

const adminUrl = () => inject("adminDatabaseUrl")

/** Runs statements on `url` (the server's maintenance database by default). */
const onDatabase = (url: string, ...statements: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    for (const statement of statements) yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

/** A login role with a password (`CREATE ROLE` takes no bind parameters: the values are hex), dropped at the end. */
const scopedPasswordRole = Effect.acquireRelease(
  Effect.gen(function*() {
    const name = `fishcloud_secret_${Crypto.randomBytes(4).toString("hex")}`
    const password = secretOf("dbpassword")
    yield* onDatabase(adminUrl(), `CREATE ROLE ${name} LOGIN SUPERUSER PASSWORD '${password}'`)
    return { name, password }
  }),
  ({ name }) => onDatabase(adminUrl(), `DROP ROLE IF EXISTS ${name}`)
)

/** `url` with another user and password. */
const asRole = (url: string, role: { readonly name: string; readonly password: string }) => {
  const parsed = new URL(url)
  parsed.username = role.name
  parsed.password = role.password
  return parsed.toString()
}

interface Seen {
  readonly what: string
  readonly text: string
}

const report = ["# Budget", "", "## Executive Summary", "", "The council leaned towards passing it.", "", "## Verdict", "", "Likely to pass."].join("\n")

layer(Layer.empty, { excludeTestServices: true })("secrets", (it) => {
  it.effect("a whole job with every secret set lets none of them out: logs, spans, response bodies, events", () =>
    Effect.gen(function*() {
      const secrets = {
        STORAGE_SIGNING_KEY: secretOf("signingkey"),
        ALERT_WEBHOOK_SECRET: secretOf("webhook"),
        XAI_API_KEY: secretOf("xai"),
        ANTHROPIC_API_KEY: secretOf("anthropic"),
        RUNPOD_API_KEY: secretOf("runpod"),
        HF_TOKEN: secretOf("hf")
      }
      const xai = yield* startFakeXai(secrets.XAI_API_KEY)
      xai.script(
        { kind: "answer", text: "Background: the council passed two budgets this year." },
        { kind: "answer", text: JSON.stringify({ markets: [{ question: "Will the budget pass by Friday?", initial_price_yes: 0.6, rationale: "history" }] }) }
      )
      const anthropic = yield* fakeAnthropic({ apiKey: secrets.ANTHROPIC_API_KEY })
      anthropic.enqueue({ kind: "text", text: report })
      const alerts = yield* startAlertReceiver
      const receiver = yield* scopedOtlpReceiver
      const role = yield* scopedPasswordRole
      const database = yield* scopedTestDatabase
      const home = yield* scopedHome
      const port = String(yield* closedPort)
      const base = `http://127.0.0.1:${port}`
      const service = yield* startCli(["serve"], {
        ...secrets,
        DATABASE_URL: asRole(database.url, role),
        FISHCLOUD_HOME: home,
        PORT: port,
        POD_PROVIDER: "fake",
        FISHCLOUD_TIME_SCALE: "0.02",
        XAI_BASE_URL: xai.url,
        ANTHROPIC_BASE_URL: anthropic.url,
        ALERT_WEBHOOK_URL: alerts.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: "500",
        LOG_FORMAT: "json",
        LOG_LEVEL: "debug"
      })
      yield* service.waitForStdout(/Listening on http/)
      const apiToken = yield* firstStartToken(home)

      // Every body the service answers, as a client sees it (but the one reply that hands a session token out).
      const seen: Array<Seen> = []
      const send = (
        method: string,
        path: string,
        options: { readonly token?: string; readonly body?: string; readonly headers?: Record<string, string>; readonly givesSecret?: boolean } = {}
      ) =>
        Effect.promise(async () => {
          const headers: Record<string, string> = { "content-type": "application/json", ...options.headers }
          if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
          const response = await fetch(base + path, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) })
          const text = await response.text()
          if (options.givesSecret === true) return { status: response.status, text }
          seen.push({ what: `${method} ${path} (${response.status}) body`, text })
          seen.push({ what: `${method} ${path} (${response.status}) headers`, text: JSON.stringify([...response.headers]) })
          return { status: response.status, text }
        })

      // A session token from the first start's one-time sign-in link.
      const [, code] = (yield* service.waitForStdout(/\/sign-in#code=([A-Za-z0-9_-]+)/))
      const session = yield* send("POST", "/api/session", { body: JSON.stringify({ code }), givesSecret: true })
      assert.strictEqual(session.status, 200, session.text)
      const sessionToken = (JSON.parse(session.text) as { token: string }).token

      const created = yield* send("POST", "/api/jobs", {
        token: apiToken,
        body: JSON.stringify({ seed_text: "The council votes on the budget on Friday.", goal: "Will the budget pass?", tier: "small", forecast_days: 3 })
      })
      assert.strictEqual(created.status, 201, created.text)
      const jobId = (JSON.parse(created.text) as { id: number }).id
      const finished = yield* untilJobFinished((method, path) =>
        send(method, path, { token: sessionToken }).pipe(Effect.map((reply) => ({ status: reply.status, json: JSON.parse(reply.text) as Record<string, unknown> }))), jobId)
      assert.strictEqual(finished["status"], "COMPLETED", String(finished["error_message"]))
      assert.isAbove(xai.requests.length, 0, "the enrichment called xAI with its key")
      assert.isAbove(anthropic.requests().length, 0, "the report called Anthropic with its key")

      // What a client reads of the job, and the errors of every kind it can meet.
      for (const path of ["", "/timeline", "/report", "/sim-data", "/graph", "/curves"]) {
        yield* send("GET", `/api/jobs/${jobId}${path}`, { token: sessionToken })
      }
      const shared = yield* send("POST", `/api/jobs/${jobId}/share`, { token: apiToken })
      const shareToken = (JSON.parse(shared.text) as { token?: string }).token
      if (shareToken !== undefined) {
        yield* send("GET", `/api/share/${shareToken}`)
        yield* send("GET", `/s/${shareToken}`)
      }
      const errors = [
        yield* send("GET", "/api/jobs"),
        yield* send("GET", "/api/jobs", { token: `${apiToken}x` }),
        yield* send("GET", "/api/jobs", { token: secrets.STORAGE_SIGNING_KEY.slice(0, 10) }),
        yield* send("GET", "/api/jobs/999999", { token: apiToken }),
        yield* send("GET", "/api/no-such-route", { token: apiToken }),
        yield* send("POST", "/api/jobs", { token: apiToken, body: "{" }),
        yield* send("POST", "/api/jobs", { token: apiToken, body: JSON.stringify({ seed_text: "", tier: "huge" }) }),
        yield* send("POST", "/api/jobs", { token: apiToken, body: "x".repeat(2 * 1024 * 1024) }),
        yield* send("POST", `/api/jobs/${jobId}/cancel`, { token: apiToken }),
        yield* send("POST", "/api/session", { body: JSON.stringify({ code: "not-a-code" }) }),
        yield* send("GET", "/storage/jobs/1/report.json?expires=1&signature=abc"),
        yield* send("PUT", "/storage/jobs/1/x.json", { body: "{}" })
      ]
      for (const reply of errors) assert.isAtLeast(reply.status, 400, reply.text)

      // Every event of the job: the SSE stream (it ends after the terminal event) and its rows.
      const stream = yield* send("GET", `/api/jobs/${jobId}/events`, { token: apiToken, headers: { accept: "text/event-stream" } })
      const events = parseSse(stream.text).events
      assert.isAbove(events.length, 3, stream.text)
      const rows = yield* Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        const events = yield* sql<{ row: string }>`SELECT to_jsonb(e)::text AS row FROM job_events e WHERE job_id = ${jobId}`
        const jobs = yield* sql<{ row: string }>`SELECT to_jsonb(j)::text AS row FROM simulation_jobs j WHERE id = ${jobId}`
        return [...events, ...jobs].map((row) => row.row)
      }).pipe(Effect.provide(PgClientLive(Redacted.make(database.url))), Effect.scoped, Effect.orDie)
      assert.isAbove(rows.length, 3)
      seen.push({ what: "the job's rows (job_events, simulation_jobs)", text: rows.join("\n") })

      yield* service.kill("SIGTERM")
      const result = yield* service.result
      assert.isAbove(receiver.spans.length, 0, "spans were exported")

      seen.push({ what: "stdout (the JSON log)", text: result.stdout })
      seen.push({ what: "stderr", text: result.stderr })
      seen.push({ what: "OTLP export bodies", text: receiver.bodies.join("\n") })
      for (const span of receiver.spans) {
        seen.push({ what: `span ${span.name} attributes`, text: JSON.stringify([span.attributes, span.resource]) })
      }
      for (const request of alerts.requests) seen.push({ what: "an alert webhook body", text: request.body })

      const all: Record<string, string> = {
        ...secrets,
        "DATABASE_URL password": role.password,
        "API token": apiToken,
        "session token": sessionToken
      }
      assert.isAbove(result.stdout.split("\n").length, 50, "the log has lines to scan")
      for (const [name, secret] of Object.entries(all)) {
        assert.isAbove(secret.length, 16, name)
        const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]
        for (const { what, text } of seen) {
          for (const form of forms) assert.notInclude(text, form, `${name} found in ${what}`)
        }
      }
    }), 240_000)
})
