/**
 * What `submit --wait` / `status --follow` and `list` draw, as pure renderings: the frames a terminal shows while a
 * job runs (the bar redrawn in place on the last line, elapsed time and ETA from the observed round rate), the plain
 * lines a pipe gets, and the `list` table's alignment, colours and width.
 */
import { assert, describe, it } from "@effect/vitest"
import type { JobId } from "../../src/domain/ids.ts"
import type { Job, JobPage } from "../../src/domain/job.ts"
import type { JobEvent } from "../../src/domain/job-event.ts"
import { renderEvent } from "../../src/cli/follow.ts"
import { jobTable, statusText } from "../../src/cli/format.ts"
import { emptyRunClock, etaSeconds, fitWidth, type Printed, type RunClock, terminalEnd, terminalWrite } from "../../src/cli/progress.ts"
import { visibleScreen } from "../support/terminal-screen.ts"

const id = 12 as JobId
const t0 = Date.parse("2026-12-02T09:00:00Z")

const progress = (round: number, maxRounds: number): JobEvent => ({
  kind: "progress",
  data: { round, max_rounds: maxRounds, log_lines: [], recent_posts: [], updated_at: 0 }
})

/** A job's story: each event with its `at`, seconds after t0. */
const story: ReadonlyArray<readonly [number, JobEvent]> = [
  [0, { kind: "status", data: { from: "PENDING", to: "PROVISIONING" } }],
  [20, { kind: "pod", data: { event: "created", pod_id: "pod-1", name: "fishcloud-sim-j12-a1", gpu_type: "A100 80GB", cost_per_hour: 1.89 } }],
  [80, { kind: "pod", data: { event: "ready", pod_id: "pod-1" } }],
  [90, { kind: "status", data: { from: "PROVISIONING", to: "RUNNING" } }],
  [100, { kind: "stage", data: { stage: 3 } }],
  [110, progress(1, 15)],
  [130, progress(3, 15)],
  [150, { kind: "stage", data: { stage: 4 } }],
  [170, progress(5, 15)],
  [290, progress(15, 15)],
  [300, { kind: "pod", data: { event: "terminated", pod_id: "pod-1", reason: "completed" } }],
  [301, { kind: "status", data: { from: "RUNNING", to: "REPORTING" } }],
  [330, { kind: "status", data: { from: "REPORTING", to: "COMPLETED" } }]
]

/** Renders the story as the CLI does, returning what is printed for each event. */
const render = (interactive: boolean, columns: number | undefined): ReadonlyArray<Printed> => {
  let clock: RunClock = emptyRunClock
  const printed: Array<Printed> = []
  for (const [seconds, event] of story) {
    const rendered = renderEvent(id, event, { interactive, columns, atMs: t0 + seconds * 1000, clock })
    clock = rendered.clock
    if (rendered.printed !== undefined) printed.push(rendered.printed)
  }
  printed.push({ line: "job 12 ended COMPLETED; GPU cost $0.11", progress: false, settle: true })
  return printed
}

/** The screen after each write, as a user sees it (the last few lines). */
const frames = (printed: ReadonlyArray<Printed>) => {
  let output = ""
  let shown: string | undefined
  const screens: Array<ReadonlyArray<string>> = []
  for (const item of printed) {
    const next = terminalWrite(shown, item)
    shown = next.shown
    output += next.text
    screens.push(visibleScreen(output))
  }
  output += terminalEnd(shown)
  return { screens, final: visibleScreen(output) }
}

describe("fishcloud CLI: the progress of a job", () => {
  it("on a terminal: the bar stays on the last line, redrawn in place, with elapsed time and ETA", () => {
    const { screens, final } = frames(render(true, 100))
    // Right after the second round sample: the rate is known (2 rounds in 20 s), so is the ETA (12 rounds, 2 min).
    assert.deepStrictEqual(screens[6]!.slice(-3), [
      "job 12: RUNNING",
      "job 12: running the simulation",
      "job 12: [████░░░░░░░░░░░░░░░░] round 3/15  40s elapsed  ETA 2m 00s"
    ])
    // A stage line scrolls above the bar, which is drawn again below it.
    assert.deepStrictEqual(screens[7]!.slice(-2), [
      "job 12: preparing the artifacts",
      "job 12: [████░░░░░░░░░░░░░░░░] round 3/15  40s elapsed  ETA 2m 00s"
    ])
    assert.deepStrictEqual(final, [
      "job 12: PROVISIONING",
      "job 12: pod pod-1 created (A100 80GB, $1.89/h)",
      "job 12: pod pod-1 ready",
      "job 12: RUNNING",
      "job 12: running the simulation",
      "job 12: preparing the artifacts",
      "job 12: pod pod-1 terminated (completed)",
      // The run is over: its last bar stays on screen, the lines that follow scroll below it.
      "job 12: [████████████████████] round 15/15  3m 20s elapsed  ETA 0s",
      "job 12: REPORTING",
      "job 12: COMPLETED",
      "job 12 ended COMPLETED; GPU cost $0.11"
    ])
    // Only one bar was ever on screen at a time.
    for (const screen of screens) assert.isAtMost(screen.filter((line) => line.includes("round ")).length, 1)
  })

  it("on a pipe: plain lines, one per event, no escape sequences", () => {
    const lines = render(false, undefined).map((item) => item.line)
    assert.deepStrictEqual(lines, [
      "job 12: PROVISIONING",
      "job 12: pod pod-1 created (A100 80GB, $1.89/h)",
      "job 12: pod pod-1 ready",
      "job 12: RUNNING",
      "job 12: running the simulation",
      "job 12: round 1/15",
      "job 12: round 3/15",
      "job 12: preparing the artifacts",
      "job 12: round 5/15",
      "job 12: round 15/15",
      "job 12: pod pod-1 terminated (completed)",
      "job 12: REPORTING",
      "job 12: COMPLETED",
      "job 12 ended COMPLETED; GPU cost $0.11"
    ])
  })

  it("a narrow terminal: the bar line is cut to its width, never wrapped", () => {
    const bars = render(true, 40).filter((item) => item.progress).map((item) => item.line)
    for (const line of bars) assert.isBelow(Array.from(line).length, 40, line)
    assert.strictEqual(bars[0], "job 12: [█░░░░░░░░░░░░░░░░░░░] round 1…")
    assert.strictEqual(fitWidth("short", 40), "short")
  })

  it("the ETA: unknown until two rounds are seen, then the observed rate", () => {
    const first = { round: 2, atMs: t0 }
    const clock = { runningAtMs: undefined, first }
    assert.isUndefined(etaSeconds(emptyRunClock, first, 10))
    assert.isUndefined(etaSeconds(clock, first, 10), "one sample: no rate")
    assert.strictEqual(etaSeconds(clock, { round: 4, atMs: t0 + 30_000 }, 10), 90)
    assert.isUndefined(etaSeconds(clock, { round: 4, atMs: t0 + 30_000 }, null), "no round count: no ETA")
  })
})

const job = (fields: Partial<Job>): Job => ({
  id: 1 as JobId,
  user_id: 1 as Job["user_id"],
  seed_text: "seed",
  goal: "Will it happen?",
  tier: "small",
  enrich_web: false,
  forecast_days: 30,
  status: "PENDING",
  pipeline_stage: null,
  error_message: null,
  key_insight: null,
  enriched_seed: null,
  enrichment_citations: null,
  markets_config: null,
  live_status: null,
  sim_data_available: false,
  retry_of: null,
  provision_seconds: null,
  pipeline_seconds: null,
  gpu_cost_usd: null,
  llm_input_tokens: 0,
  llm_output_tokens: 0,
  llm_cost_usd: 0,
  created_at: "2026-12-02T09:23:36.123Z",
  updated_at: "2026-12-02T09:23:36.123Z",
  phase_entered_at: "2026-12-02T09:23:36.123Z",
  completed_at: null,
  ...fields
})

const page = (jobs: ReadonlyArray<Job>): JobPage => ({ jobs, total: jobs.length, page: 1, per_page: 10, next_after: null })

const longGoal = "Will the Harbour Council approve the tram line on Tuesday, given the Chamber of Commerce's opposition over the construction years and Riders United's campaign?"

const jobs = [
  job({ id: 104 as JobId, status: "RUNNING", pipeline_stage: 3, goal: longGoal }),
  job({ id: 103 as JobId, status: "COMPLETED", pipeline_stage: 5, goal: "Short goal" }),
  job({ id: 9 as JobId, status: "FAILED", pipeline_stage: 0, tier: "large", goal: "Will it fail?" })
]

describe("fishcloud CLI: list", () => {
  it("stage names while live, none once finished", () => {
    assert.strictEqual(statusText(jobs[0]!), "RUNNING (running the simulation)")
    assert.strictEqual(statusText(jobs[1]!), "COMPLETED")
    assert.strictEqual(statusText(job({ status: "PROVISIONING", pipeline_stage: 9 })), "PROVISIONING (stage 9)")
  })

  it("on a terminal: an aligned table that fits the width, long goals cut with an ellipsis", () => {
    const lines = jobTable(page(jobs), { interactive: true, color: false, columns: 80 }).split("\n")
    assert.deepStrictEqual(lines, [
      "ID   STATUS                            TIER   CREATED (UTC)     GOAL",
      "104  RUNNING (running the simulation)  small  2026-12-02 09:23  Will the Harbo…",
      "103  COMPLETED                         small  2026-12-02 09:23  Short goal",
      "9    FAILED                            large  2026-12-02 09:23  Will it fail?",
      "page 1 of 1, 3 jobs"
    ])
    for (const line of lines) assert.isBelow(Array.from(line).length, 80)
    // The goal column starts at the same place on every line.
    const goalAt = lines[0]!.indexOf("GOAL")
    for (const line of lines.slice(1, 4)) assert.match(line.slice(goalAt - 2, goalAt), /^ {2}$/)
  })

  it("colours: statuses coloured on a terminal, aligned as without; none on a pipe", () => {
    const plain = jobTable(page(jobs), { interactive: true, color: false, columns: 120 })
    const coloured = jobTable(page(jobs), { interactive: true, color: true, columns: 120 })
    assert.include(coloured, "\u001b[36mRUNNING (running the simulation)\u001b[0m")
    assert.include(coloured, "\u001b[32mCOMPLETED\u001b[0m")
    assert.include(coloured, "\u001b[31mFAILED\u001b[0m")
    assert.strictEqual(coloured.replace(/\u001b\[[0-9;]*m/g, ""), plain)
    const piped = jobTable(page(jobs))
    assert.notInclude(piped, "\u001b[")
    // A pipe has no width: goals are cut at 60 characters.
    assert.include(piped, `${longGoal.slice(0, 59)}…`)
  })
})
