/**
 * Plain-text renderings of API values: what `status`, `list`, `cancel`, `submit` and `routing list` print, and the
 * `--json` output of the read commands. Pure functions of the data and the terminal (`terminal.ts`), so tests
 * compare them line for line: tables are aligned on the text a user sees (colours are added around it, on a terminal
 * only), and `list` fits the terminal's width by cutting the goal with an ellipsis.
 */
import { Effect, Schema } from "effect"
import type { Job, JobPage, ModelRouting } from "../domain/job.ts"
import { readableSeconds, usd } from "../domain/readable.ts"
import { stageName } from "../domain/stage.ts"
import { isLive, type JobStatus } from "../domain/status.ts"
import type { Terminal } from "./terminal.ts"

/** A table cell: its text, and the ANSI colour (SGR code) a terminal shows it in. */
interface Cell {
  readonly text: string
  readonly color?: string | undefined
}

const paint = (text: string, color: string | undefined, enabled: boolean) =>
  enabled && color !== undefined && text.length > 0 ? `\u001b[${color}m${text}\u001b[0m` : text

const visibleLength = (text: string) => Array.from(text).length

/**
 * Left-aligned columns two spaces apart, aligned on the visible text (colours do not count); the last column is not
 * padded.
 */
const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  color: boolean
): ReadonlyArray<string> => {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column]?.text ?? "")))
  )
  const line = (cells: ReadonlyArray<Cell>) =>
    cells.map((cell, column) => {
      const padding = column === cells.length - 1 ? "" : " ".repeat((widths[column] ?? 0) - visibleLength(cell.text))
      return `${paint(cell.text, cell.color, color)}${padding}`
    }).join("  ").trimEnd()
  return [line(header.map((text) => ({ text, color: "1" }))), ...rows.map(line)]
}

/** One line, at most `max` characters, cut with an ellipsis. */
const truncate = (text: string, max: number): string => {
  const flat = Array.from(text.replace(/\s+/g, " ").trim())
  return flat.length <= max ? flat.join("") : `${flat.slice(0, Math.max(0, max - 1)).join("")}…`
}

const orDash = (value: string | number | null) => value === null ? "-" : String(value)

/** The colour of a status on a terminal: green done, red failed, cyan working, yellow waiting, dim otherwise. */
const statusColor: Record<JobStatus, string> = {
  DRAFT: "2",
  PENDING: "33",
  PROVISIONING: "33",
  RUNNING: "36",
  REPORTING: "36",
  COMPLETED: "32",
  FAILED: "31",
  CANCELLED: "2"
}

/** `COMPLETED`, or `RUNNING (running the simulation)` while a live job's pipeline stage is known. */
export const statusText = (job: Job): string =>
  job.pipeline_stage === null || !isLive(job.status) ? job.status : `${job.status} (${stageName(job.pipeline_stage)})`

/** One line per change while waiting: `job 12: RUNNING (running the simulation)`. */
export const progressLine = (job: Job): string => `job ${job.id}: ${statusText(job)}`

/** `2026-12-02 09:23` from the API's ISO-8601 UTC time (anything else as it is). */
const minuteOf = (iso: string) => iso.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$/, "$1 $2")

export const jobDetails = (job: Job): string => {
  const fields: Array<readonly [string, string]> = [
    ["id", String(job.id)],
    ["status", statusText(job)],
    ["tier", orDash(job.tier)],
    ["goal", orDash(job.goal)],
    ["forecast days", orDash(job.forecast_days)],
    ["created", job.created_at],
    ["updated", job.updated_at]
  ]
  if (job.completed_at !== null) fields.push(["completed", job.completed_at])
  if (job.pipeline_seconds !== null) fields.push(["simulation", readableSeconds(job.pipeline_seconds)])
  if (job.gpu_cost_usd !== null) fields.push(["GPU cost", usd(job.gpu_cost_usd)])
  if (job.llm_cost_usd > 0) fields.push(["LLM cost", usd(job.llm_cost_usd)])
  if (job.retry_of !== null) fields.push(["retry of", String(job.retry_of)])
  if (job.key_insight !== null) fields.push(["key insight", job.key_insight])
  if (job.error_message !== null) fields.push(["error", job.error_message])
  const width = Math.max(...fields.map(([name]) => name.length))
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n")
}

/** The goal column's width when the terminal's is unknown (a pipe). */
const pipeGoalWidth = 60
/** The goal keeps at least this much of a narrow terminal. */
const minGoalWidth = 12

/**
 * Your jobs as a table (ID, STATUS, TIER, CREATED (UTC), GOAL) and the page line. On a terminal the statuses are
 * coloured and each line fits its width (the goal is cut with an ellipsis); a pipe gets plain text, goals cut at 60.
 */
export const jobTable = (page: JobPage, terminal: Terminal = { interactive: false, color: false, columns: undefined }): string => {
  if (page.jobs.length === 0) return page.total === 0 ? "no jobs" : `no jobs on page ${page.page} (total ${page.total})`
  const pages = Math.max(1, Math.ceil(page.total / page.per_page))
  const header = ["ID", "STATUS", "TIER", "CREATED (UTC)", "GOAL"]
  const fixed = page.jobs.map((job): ReadonlyArray<Cell> => [
    { text: String(job.id) },
    { text: statusText(job), color: statusColor[job.status] },
    { text: orDash(job.tier) },
    { text: minuteOf(job.created_at) }
  ])
  const fixedWidth = header.slice(0, -1).reduce(
    (sum, title, column) => sum + Math.max(title.length, ...fixed.map((row) => visibleLength(row[column]?.text ?? ""))) + 2,
    0
  )
  // One column short of the width: a line as wide as the terminal wraps on some terminals.
  const goalWidth = terminal.columns === undefined ? pipeGoalWidth : Math.max(minGoalWidth, terminal.columns - 1 - fixedWidth)
  const rows = page.jobs.map((job, index) => [...fixed[index]!, { text: truncate(job.goal ?? "", goalWidth) }])
  const footer = `page ${page.page} of ${pages}, ${page.total} jobs`
  return [...table(header, rows, terminal.color), footer].join("\n")
}

export const routingTable = (rows: ReadonlyArray<ModelRouting>): string =>
  rows.length === 0 ? "no model routing configured" : table(
    ["TIER", "MODEL", "GPU", "MAX ROUNDS", "AGENTS", "VLLM ARGS"],
    rows.map((row) =>
      [
        row.sim_tier,
        row.model_id,
        row.gpu_type,
        String(row.max_rounds),
        String(row.target_agents),
        orDash(row.vllm_args)
      ].map((text): Cell => ({ text }))
    ),
    false
  ).join("\n")

/**
 * `--json`: the value as the API sends it (encoded with its schema), indented. The value was just decoded with that
 * schema, so an encoding failure would be a bug: a defect.
 */
export const jsonText = <S extends Schema.Constraint & { readonly EncodingServices: never }>(schema: S, value: S["Type"]): Effect.Effect<string> =>
  Schema.encodeEffect(Schema.toCodecJson(schema))(value).pipe(
    Effect.map((json) => JSON.stringify(json, null, 2)),
    Effect.orDie
  )
