import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { MarketCurve } from "../../src/domain/artifacts.ts"
import { renderReportPdf, type ReportPdfInput } from "../../src/api/pdf/report-pdf.ts"

// Reading a PDF back without a PDF library: rendered with `compress: false`, the page streams are plain text, and
// pdfkit writes each line of text as a `[<hex> kerning <hex> ...] TJ` array of WinAnsi codes.
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1")
const winAnsi = new TextDecoder("windows-1252")

/** Every line of text drawn, in drawing order. */
const drawnLines = (pdf: Uint8Array): ReadonlyArray<string> =>
  Array.from(latin1(pdf).matchAll(/\[([^\]]*)\] TJ/g), (tj) =>
    Array.from(tj[1]!.matchAll(/<([0-9a-f]*)>/g), (hex) => winAnsi.decode(Buffer.from(hex[1]!, "hex"))).join(""))

/** All the drawn text, whitespace runs as one space. */
const drawnText = (pdf: Uint8Array): string => drawnLines(pdf).join(" ").replace(/\s+/g, " ")

const pageCount = (pdf: Uint8Array): number => latin1(pdf).match(/\/Type \/Page\n/g)?.length ?? 0

/** Stroked paths of exactly `points` points: the line of a market curve with that many points. */
const polylines = (pdf: Uint8Array, points: number): number =>
  latin1(pdf).match(new RegExp(`[\\d.-]+ [\\d.-]+ m\\n(?:[\\d.-]+ [\\d.-]+ l\\n){${points - 1}}S\\n`, "g"))?.length ?? 0

const curve = (id: string, question: string, prices: ReadonlyArray<number>): MarketCurve => ({
  market_id: id,
  question,
  points: prices.map((price_yes, i) => ({ round: i + 1, price_yes }))
})

const report = `# Tram line report

## Executive Summary
The **council** is _likely_ to approve the tram line; see \`trades.json\` & [the log](https://example.com/log).

## Verdict
YES leads at 0.62 after a late rally.

## Key Findings
### slot=momentum — Late rally after the CPI print
Support grew in the last three rounds.

_Citation: post p3 by Ada_

### slot=voices — Two analysts dominated
Ada and Ben set the tone.

## Evidence
> Riders United said the line pays for itself.

1. Ada posted 14 times
2. Ben replied to everyone
   - mostly in round 4

\`\`\`
round 4: YES 0.41 -> 0.58
\`\`\`
`

const input: ReportPdfInput = {
  jobId: 42,
  goal: "Will the council approve the tram line?",
  keyInsight: "YES leads at 0.62 after a late rally.",
  markdown: report,
  structured: {
    brief: "The council is likely to approve.",
    verdict: "YES leads at 0.62 after a late rally.",
    findings: [
      { slot: "momentum", title: "Late rally after the CPI print", body: "Support **grew**.", citation: "post p3 by Ada" },
      { slot: "voices", title: "Two analysts dominated", body: "Ada and Ben wrote half the posts.", citation: null }
    ]
  },
  curves: [
    curve("m1", "Will the council approve the tram line?", [0.5, 0.46, 0.52, 0.41, 0.58, 0.6, 0.62]),
    curve("m2", "Will construction start before 2028?", [0.3, 0.32, 0.35, 0.33, 0.4, 0.38, 0.36])
  ],
  createdAt: "2026-12-02T10:00:00.000Z",
  completedAt: "2026-12-02T10:05:00.000Z"
}

const render = (overrides: Partial<ReportPdfInput> = {}) =>
  renderReportPdf({ ...input, ...overrides }, { compress: false })

const paragraphs = (count: number) =>
  Array.from({ length: count }, (_, i) => `Paragraph ${i}: the market moved as agents traded and argued. `.repeat(6))
    .join("\n\n")

describe("report PDF", () => {
  it.effect("is a PDF document, compressed by default", () =>
    Effect.gen(function*() {
      const pdf = yield* renderReportPdf(input)
      assert.strictEqual(latin1(pdf.subarray(0, 5)), "%PDF-")
      assert.match(latin1(pdf.subarray(pdf.length - 6)), /%%EOF\n?$/)
      assert.include(latin1(pdf), "/FlateDecode")
      assert.isAtLeast(pageCount(pdf), 1)
    }))

  it.effect("shows the goal, the job, the key insight, the findings and the report, without slot markup", () =>
    Effect.gen(function*() {
      const text = drawnText(yield* render())
      assert.include(text, "Will the council approve the tram line?")
      assert.include(text, "Job #42")
      assert.include(text, "completed 2026-12-02 10:05 UTC")
      assert.include(text, "YES leads at 0.62 after a late rally.")
      assert.include(text, "Late rally after the CPI print")
      assert.include(text, "Source: post p3 by Ada")
      assert.include(text, "Ada and Ben wrote half the posts.")
      assert.include(text, "Riders United said the line pays for itself.")
      assert.include(text, "round 4: YES 0.41 -> 0.58")
      assert.include(text, "Executive Summary")
      // The findings are drawn once, as cards: the report's own "Key Findings" section is left out.
      assert.notInclude(text, "Support grew in the last three rounds.")
      assert.notInclude(text, "Ada and Ben set the tone.")
      assert.notInclude(text, "slot=")
      assert.notInclude(text, "slot")
      assert.notInclude(text, "**")
    }))

  it.effect("draws lists with their markers and links as links", () =>
    Effect.gen(function*() {
      const pdf = yield* render()
      const lines = drawnLines(pdf)
      assert.include(lines, "1.")
      assert.include(lines, "2.")
      assert.include(lines, "\u2013")
      assert.include(latin1(pdf), "/URI (https://example.com/log)")
    }))

  it.effect("numbers its pages, and a long report runs onto more of them", () =>
    Effect.gen(function*() {
      const short = yield* render({ markdown: "A short report.", curves: [] })
      const long = yield* render({ markdown: paragraphs(150), curves: [] })
      assert.strictEqual(pageCount(short), 1)
      assert.isAtLeast(pageCount(long), 5)
      const pages = pageCount(long)
      assert.include(drawnLines(long), `Page ${pages} of ${pages}`)
      assert.include(drawnText(long), "Paragraph 149:")
    }))

  it.effect("draws each market's curve as a line chart with the question as its caption", () =>
    Effect.gen(function*() {
      const pdf = yield* render({
        curves: [...input.curves, curve("m3", "Will fares rise?", [0.7, 0.65, 0.6, 0.55, 0.5, 0.52, 0.5])]
      })
      assert.strictEqual(polylines(pdf, 7), 3)
      const text = drawnText(pdf)
      assert.include(text, "Market curves")
      assert.include(text, "Will construction start before 2028?")
      assert.include(text, "Will fares rise?")
      assert.include(text, "price YES")
      assert.include(text, "round")
      assert.include(text, "0.62")
    }))

  it.effect("draws odd curves without failing: one point, none, prices out of range or not numbers", () =>
    Effect.gen(function*() {
      const pdf = yield* render({
        curves: [
          curve("one", "One point", [0.4]),
          curve("none", "No points", []),
          curve("odd", "Odd prices", [-3, Number.NaN, 7, Number.POSITIVE_INFINITY, 0.5, 0.6])
        ]
      })
      // The four finite prices make one line (a chart's two axes are a three-point path: avoid that count).
      assert.strictEqual(polylines(pdf, 4), 1)
      const text = drawnText(pdf)
      assert.include(text, "no prices recorded")
      assert.include(text, "Odd prices")
    }))

  it.effect("draws text the standard fonts cannot encode as something readable, never failing", () =>
    Effect.gen(function*() {
      const odd = "Emoji \u{1F389}\u{1F468}\u200D\u{1F469} CJK \u4e2d\u6587\u62a5\u544a RTL \u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0648\u0642 " +
        "controls \u0001\u0007\u001b\u0085\u202e end, \u041c\u043e\u0441\u043a\u0432\u0430, \u0141\u00f3d\u017a, \ufb01ne, \u2264 0.5 \u2192 up, lone \ud800."
      const pdf = yield* render({
        goal: `${odd} goal`,
        keyInsight: odd,
        markdown: `# ${odd}\n\n${odd}\n\n- ${odd}\n\n\`${odd}\``,
        structured: { findings: [{ slot: "x", title: odd, body: odd, citation: odd }] },
        curves: [curve("u", odd, [0.2, 0.8])]
      })
      const text = drawnText(pdf)
      assert.include(text, "Emoji CJK ? RTL ? ? controls end, Moskva, L\u00f3dz, fine, <= 0.5 -> up, lone ?.")
      // Each drawn glyph is one WinAnsi byte: two hex digits.
      for (const tj of latin1(pdf).matchAll(/<([0-9a-f]*)>/g)) assert.strictEqual(tj[1]!.length % 2, 0)
    }))

  it.effect("draws deeply nested, oversized and hostile markdown without failing", () =>
    Effect.gen(function*() {
      const markdown = [
        `${">".repeat(60)} deep quote`,
        Array.from({ length: 30 }, (_, i) => `${"  ".repeat(i)}- level ${i}`).join("\n"),
        "w".repeat(5000),
        `|${Array.from({ length: 80 }, (_, i) => `c${i}`).join("|")}|\n|${"-|".repeat(80)}\n|${"v|".repeat(80)}`,
        "<div><script>alert(1)</script><b>bold html</b></div>",
        "![chart](http://x/y.png) [run me](javascript:alert(1))",
        "- [x] done\n- [ ] to do",
        "&amp; &#8212; &bogus; &#0; &#xD800;"
      ].join("\n\n")
      const pdf = yield* render({ markdown, keyInsight: "k".repeat(5000), goal: "", createdAt: "not a date" })
      const text = drawnText(pdf)
      assert.include(text, "deep quote")
      assert.include(text, "level 29")
      assert.include(text, "bold html")
      assert.notInclude(text, "alert")
      assert.include(text, "[image: chart]")
      assert.include(text, "[x] done")
      assert.include(text, "& \u2014 &bogus; ? ?")
      assert.include(text, "Untitled job")
      assert.include(text, "created not a date")
      assert.notInclude(latin1(pdf), "javascript:")
    }))

  it.effect("draws the report when the structured result has no readable findings", () =>
    Effect.gen(function*() {
      const text = drawnText(yield* render({ structured: { findings: "not a list" } }))
      assert.notInclude(text, "Key findings")
      // Without cards, the report's own findings section is the only place they are read.
      assert.include(text, "Support grew in the last three rounds.")
      assert.include(text, "Executive Summary")
      const bare = drawnText(yield* render({ structured: null, keyInsight: null, completedAt: null }))
      assert.notInclude(bare, "KEY INSIGHT")
      assert.include(bare, "created 2026-12-02 10:00 UTC")
    }))

  it.effect("gives the same bytes for the same job, dated when the job completed", () =>
    Effect.gen(function*() {
      const first = yield* renderReportPdf(input)
      const second = yield* renderReportPdf(input)
      assert.deepStrictEqual(first, second)
      assert.include(latin1(first), "(D:20261202100500Z)")
    }))

  it.effect("renders a 200 KB report", () =>
    Effect.gen(function*() {
      let markdown = ""
      for (let i = 0; markdown.length < 200_000; i++) {
        markdown += `## Section ${i}\n\nThe **council** debated _again_ in round ${i}. ${"Agents traded and argued. ".repeat(20)}` +
          `\n\n- a point\n- another with \`code\`\n\n> a quote ${i}\n\n`
      }
      const pdf = yield* renderReportPdf({ ...input, markdown })
      assert.strictEqual(latin1(pdf.subarray(0, 5)), "%PDF-")
      assert.isAtLeast(pageCount(yield* render({ markdown, curves: [] })), 40)
    }), 60_000)
})
