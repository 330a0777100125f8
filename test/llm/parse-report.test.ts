import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { type SimulationParts, StructuredReport } from "../../src/domain/report.ts"
import { keyInsight, parseReport, readReport } from "../../layers/llm/report/parse-report.ts"

/** The shape of a real model-written report: headings, lists, emphasis, a trailing section after the findings. */
const report = `# Will the ECB cut rates before July?

## Executive Summary

Over 15 rounds, 12 agents debated the ECB's next move.  
The market opened at **0.50** and closed at 0.63.


Retail voices drove most of the volume.

## Verdict

The crowd leans yes:
a cut before July looks more likely than not.

## Key Findings

Some intro text the parser ignores.

### slot=Momentum — Late rally after the CPI print

Prices jumped 9 points in round 11.

_Citation: post p42 by Dara_

### slot=voices – Two analysts dominated

Ada and Chen wrote the most-liked posts.
Citation: post p7 by Ada

### slot=coalitions - Hawks stick together

Bashir and Eitan follow each other.

### slot=dissent — The skeptics dug in

Farah lowered her belief from 0.4 to 0.2.
**Citation:** trajectory of Farah

## Methodology

This section is not a finding.

### slot=extra — Not a finding either

Outside Key Findings.
`

describe("parseReport", () => {
  it("reads the brief, the one-line verdict and the slotted findings of a full report", () => {
    const parsed = parseReport(report)
    assert.isTrue(Schema.is(StructuredReport)(parsed))
    assert.strictEqual(
      parsed.brief,
      "Over 15 rounds, 12 agents debated the ECB's next move.\nThe market opened at **0.50** and closed at 0.63.\n\nRetail voices drove most of the volume."
    )
    assert.strictEqual(parsed.verdict, "The crowd leans yes: a cut before July looks more likely than not.")
    assert.deepStrictEqual(parsed.findings, [
      {
        slot: "momentum",
        title: "Late rally after the CPI print",
        body: "Prices jumped 9 points in round 11.",
        citation: "post p42 by Dara"
      },
      {
        slot: "voices",
        title: "Two analysts dominated",
        body: "Ada and Chen wrote the most-liked posts.",
        citation: "post p7 by Ada"
      },
      {
        slot: "coalitions",
        title: "Hawks stick together",
        body: "Bashir and Eitan follow each other.",
        citation: null
      },
      {
        slot: "dissent",
        title: "The skeptics dug in",
        body: "Farah lowered her belief from 0.4 to 0.2.",
        citation: "trajectory of Farah"
      }
    ])
  })

  it("parses CRLF line endings like LF", () => {
    assert.deepStrictEqual(parseReport(report.replace(/\n/g, "\r\n")), parseReport(report))
  })

  it("gives empty values for missing sections", () => {
    assert.deepStrictEqual(parseReport(""), { brief: "", verdict: "", findings: [] })
    assert.deepStrictEqual(parseReport("# Title\n\nJust prose, no sections at all.\n"), {
      brief: "",
      verdict: "",
      findings: []
    })
    const onlyVerdict = parseReport("## Verdict\n\nYes, narrowly.\n")
    assert.deepStrictEqual(onlyVerdict, { brief: "", verdict: "Yes, narrowly.", findings: [] })
  })

  it("matches section headings ignoring case, spacing and closing hashes", () => {
    const parsed = parseReport("##   executive SUMMARY ##\r\n  Brief text.  \r\n## VERDICT:\r\nLean no.\r\n")
    assert.strictEqual(parsed.brief, "Brief text.")
    assert.strictEqual(parsed.verdict, "Lean no.")
  })

  it("keeps findings that come right before the next H2 (the prod sim #112 regression)", () => {
    const parsed = parseReport(
      "## Key Findings\n### slot=a — A\nbody a\n### slot=b — B\nbody b\n### slot=c — C\nbody c\n### slot=d — D\nbody d\n## Next\ntext\n"
    )
    assert.deepStrictEqual(parsed.findings.map((f) => [f.slot, f.title, f.body]), [
      ["a", "A", "body a"],
      ["b", "B", "body b"],
      ["c", "C", "body c"],
      ["d", "D", "body d"]
    ])
  })

  it("keeps at most four findings", () => {
    const blocks = Array.from({ length: 6 }, (_, i) => `### slot=s${i} — Finding ${i}\n\nBody ${i}.`).join("\n\n")
    const parsed = parseReport(`## Key Findings\n\n${blocks}\n`)
    assert.deepStrictEqual(parsed.findings.map((f) => f.slot), ["s0", "s1", "s2", "s3"])
  })

  it("skips H3 blocks that name no slot, and ends a finding at any H3", () => {
    const parsed = parseReport(
      "## Key Findings\n### slot=one — First\nbody one\n### Background\nnot part of any finding\n### slot=two—Tight dash\nbody two\n#### Detail\nstill body two\n"
    )
    assert.deepStrictEqual(parsed.findings.map((f) => [f.slot, f.title, f.body]), [
      ["one", "First", "body one"],
      ["two", "Tight dash", "body two\n#### Detail\nstill body two"]
    ])
  })

  it("accepts a hyphenated slot and a heading without a title", () => {
    const parsed = parseReport("## Key Findings\n### slot=key-voices — Who spoke\nx\n### slot=bare\ny\n")
    assert.deepStrictEqual(parsed.findings.map((f) => [f.slot, f.title]), [["key-voices", "Who spoke"], ["bare", ""]])
  })

  it("reads citations from _Citation:_ and Citation: lines and removes them from the body", () => {
    const parsed = parseReport(
      "## Key Findings\n### slot=a — A\nline one\n  _Citation: post p1 by Ada_  \nline two\n### slot=b — B\nCitation:   \nbody b\n"
    )
    assert.deepStrictEqual(parsed.findings[0], { slot: "a", title: "A", body: "line one\nline two", citation: "post p1 by Ada" })
    // An empty citation is no citation.
    assert.deepStrictEqual(parsed.findings[1], { slot: "b", title: "B", body: "body b", citation: null })
  })

  it("joins a multi-line verdict into one line and cuts it to 400 characters at a word", () => {
    const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join("\n")
    const verdict = parseReport(`## Verdict\n\n${long}\n\n## Key Findings\n`).verdict
    assert.isAtMost(verdict.length, 400)
    assert.notInclude(verdict, "\n")
    assert.isTrue(verdict.endsWith("…"))
    assert.isTrue(long.replace(/\n/g, " ").startsWith(`${verdict.slice(0, -1)} `))
  })
})

describe("keyInsight", () => {
  it("is the trimmed verdict, cut to 200 characters", () => {
    assert.strictEqual(keyInsight("  The crowd leans yes.  ", report), "The crowd leans yes.")
    const cut = keyInsight("x ".repeat(300), report)
    assert.isNotNull(cut)
    assert.isAtMost(cut!.length, 200)
  })

  it("falls back to the first non-heading line longer than 30 characters", () => {
    const markdown = "# A title that is long enough to count\n\nShort line.\n\n  The first long enough line of prose here.  \n"
    assert.strictEqual(keyInsight("", markdown), "The first long enough line of prose here.")
    assert.strictEqual(keyInsight("   ", markdown.replace(/\n/g, "\r\n")), "The first long enough line of prose here.")
    const long = `${"y".repeat(250)}`
    assert.strictEqual(keyInsight("", `## H\n${long}`)!.length, 200)
  })

  it("is null when there is neither a verdict nor a long line", () => {
    assert.isNull(keyInsight("", "# Heading only, long enough to qualify\n\nshort\n"))
    assert.isNull(keyInsight("", ""))
  })
})

/** The artifact-built parts of an empty simulation: what `readReport` joins to the parsed sections. */
const emptyParts: SimulationParts = {
  stakeholder_positions: [],
  named_coalitions: [],
  phase_boundaries: [],
  quotable_posts: [],
  disagreement_axis: null,
  sim_scale: { rounds: 0, agents: 0, markets: 0, posts: 0, replies: 0, follows: 0, trades: 0, likes: 0, forecast_days: 30 }
}

describe("readReport", () => {
  it("returns the markdown, its parsed sections joined with the artifact parts, and the key insight", () => {
    const read = readReport(report, emptyParts)
    assert.strictEqual(read.markdown, report)
    assert.deepStrictEqual(read.structured, { ...parseReport(report), ...emptyParts })
    assert.strictEqual(read.keyInsight, "The crowd leans yes: a cut before July looks more likely than not.")
  })
})
