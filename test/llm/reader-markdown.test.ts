/**
 * The report as readers get it (`readerMarkdown`), and the structured result as stored and served (`JobReport`):
 * reports written before the six artifact parts existed still decode.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema } from "effect"
import { OfflineReportWriterLive } from "../../layers/llm/offline/offline-report-writer.ts"
import { ReportWriter } from "../../services/report-writer.ts"
import { simDataKey } from "../../src/domain/artifacts.ts"
import { JobId } from "../../src/domain/ids.ts"
import { JobReport } from "../../src/domain/job.ts"
import { readerMarkdown, StructuredReport } from "../../src/domain/report.ts"
import { MemoryObjectStoreLive } from "../support/memory-object-store.ts"
import { artifactBytes, sampleArtifacts } from "../support/sample-artifacts.ts"

describe("readerMarkdown", () => {
  it("turns finding headings into their titles and leaves everything else as it was", () => {
    const source = [
      "# The ECB question",
      "",
      "## Key Findings",
      "",
      "### slot=momentum — Late rally after the CPI print",
      "Prices jumped in round 11 (slot=momentum is how the source names it).",
      "_Citation: post p42 by Dara_",
      "",
      "### slot:Voices – Two analysts dominated ###",
      "### slot=`coalitions` - Hawks stick together",
      "### slot=dissent—Tight dash",
      "### slot=bare",
      "## slot=oddity — Not under Key Findings",
      "### Background",
      "    ### slot=code — an indented code block stays",
      ""
    ].join("\n")
    assert.strictEqual(
      readerMarkdown(source),
      [
        "# The ECB question",
        "",
        "## Key Findings",
        "",
        "### Late rally after the CPI print",
        "Prices jumped in round 11 (slot=momentum is how the source names it).",
        "_Citation: post p42 by Dara_",
        "",
        "### Two analysts dominated",
        "### Hawks stick together",
        "### Tight dash",
        "### Bare",
        "## Not under Key Findings",
        "### Background",
        "    ### slot=code — an indented code block stays",
        ""
      ].join("\n")
    )
  })

  it("drops HTML comments, keeps CRLF line ends, and is idempotent", () => {
    const source = "# T\r\n<!-- note to self:\r\nrevise -->\r\n### slot=voices — Voices\r\nbody\r\n"
    const read = readerMarkdown(source)
    assert.strictEqual(read, "# T\r\n\r\n### Voices\r\nbody\r\n")
    assert.strictEqual(readerMarkdown(read), read)
    const plain = "# Title\n\nNo findings here, **bold** and `code`.\n"
    assert.strictEqual(readerMarkdown(plain), plain)
  })

  it.effect("leaves no slot markup in an offline report, and its headings are the findings' titles", () =>
    Effect.gen(function*() {
      const jobId = JobId.make(3)
      const artifacts = sampleArtifacts({ rounds: 5, agents: 4, markets: [{ id: "m1", question: "Will it pass?", initial_price_yes: 0.5 }] })
      const report = yield* Effect.gen(function*() {
        const writer = yield* ReportWriter
        return yield* writer.write({ jobId, goal: "Will it pass?", forecastDays: 30 })
      }).pipe(
        Effect.provide(OfflineReportWriterLive.pipe(Layer.provide(MemoryObjectStoreLive({
          objects: artifactBytes(artifacts).map(([file, body]) => [simDataKey(jobId, file), { body, contentType: "application/json" }] as const)
        }))))
      )
      assert.include(report.markdown, "### slot=momentum — ")
      const read = readerMarkdown(report.markdown)
      assert.notInclude(read, "slot=")
      const h3 = read.split("\n").filter((line) => line.startsWith("### ")).map((line) => line.slice(4))
      assert.deepStrictEqual(h3, report.structured.findings.map((f) => f.title))
    }))
})

describe("the stored structured result", () => {
  const decode = Schema.decodeUnknownExit(JobReport)
  const threeParts = {
    brief: "Optimists set the tone.",
    verdict: "The crowd leans yes.",
    findings: [{ slot: "momentum", title: "The price climbed", body: "Up.", citation: null }]
  }

  it("decodes a report stored before the six artifact parts existed, and one without a structured result", () => {
    const old = decode({ job_id: 9, report: "# R", key_insight: "Yes.", structured: threeParts })
    assert.isTrue(Exit.isSuccess(old))
    if (Exit.isSuccess(old)) assert.deepStrictEqual(old.value.structured, threeParts)
    assert.isTrue(Exit.isSuccess(decode({ job_id: 9, report: "# R", key_insight: null, structured: null })))
  })

  it("refuses a structured result that is not one", () => {
    assert.isTrue(Exit.isFailure(decode({ job_id: 9, report: "# R", key_insight: null, structured: { probability: 0.7 } })))
    assert.isFalse(Schema.is(StructuredReport)({ ...threeParts, sim_scale: { rounds: 3 } }))
  })
})
