/**
 * The OpenAPI document as the service serves it (`/openapi.json`) passes Redocly's recommended rules (with the two
 * exceptions `redocly.yaml` explains): every operation has a summary and a description, every tag a description,
 * the document names its server, and nothing is invalid.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TestService, TestServiceLive } from "../support/service.ts"

const LintReport = Schema.Struct({
  totals: Schema.Struct({ errors: Schema.Int, warnings: Schema.Int }),
  problems: Schema.Array(Schema.Struct({ ruleId: Schema.String, message: Schema.String }))
})

const redocly = NodePath.resolve("node_modules/@redocly/cli/bin/cli.js")

const lint = (file: string) =>
  Effect.callback<string>((resume) => {
    // Exit code 1 means problems were found: the JSON report says which, so it is read either way.
    execFile(process.execPath, [redocly, "lint", file, "--config", "redocly.yaml", "--format", "json"], {
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      timeout: 120_000
    }, (_error, stdout) => resume(Effect.succeed(stdout)))
  })

layer(TestServiceLive(), { excludeTestServices: true })("the OpenAPI document", (it) => {
  it.effect("passes Redocly's recommended rules with no error and no warning", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const reply = yield* service.call("GET", "/openapi.json")
      assert.strictEqual(reply.status, 200)
      const dir = yield* Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-openapi-")))
      const file = NodePath.join(dir, "openapi.json")
      yield* Effect.promise(() => Fs.writeFile(file, reply.text))
      const report = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(LintReport))(yield* lint(file)).pipe(Effect.orDie)
      yield* Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
      assert.deepStrictEqual(report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`), [])
      assert.deepStrictEqual(report.totals, { errors: 0, warnings: 0 })
      // What a reader of /docs gets beyond the rules: the job bodies come with an example.
      assert.include(reply.text, "Will the council approve the tram line?")
    }), 180_000)
})
