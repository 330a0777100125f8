/** Plain-text renderings of API values: what `status`, `list`, `submit --wait` and `routing list` print. */
import type { Job, JobPage, ModelRouting } from "../domain/job.ts"

/** Left-aligned columns separated by two spaces; the last column is not padded. */
const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

const truncate = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}

const orDash = (value: string | number | null) => value === null ? "-" : String(value)

/** `PENDING`, or `RUNNING (stage 3)` while a pipeline stage is known. */
export const statusText = (job: Job): string =>
  job.pipeline_stage === null ? job.status : `${job.status} (stage ${job.pipeline_stage})`

/** One line per change while waiting: `job 12: RUNNING (stage 3)`. */
export const progressLine = (job: Job): string => `job ${job.id}: ${statusText(job)}`

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
  if (job.retry_of !== null) fields.push(["retry of", String(job.retry_of)])
  if (job.key_insight !== null) fields.push(["key insight", job.key_insight])
  if (job.error_message !== null) fields.push(["error", job.error_message])
  const width = Math.max(...fields.map(([name]) => name.length))
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n")
}

export const jobTable = (page: JobPage): string => {
  if (page.jobs.length === 0) return page.total === 0 ? "no jobs" : `no jobs on page ${page.page} (total ${page.total})`
  const pages = Math.max(1, Math.ceil(page.total / page.per_page))
  const rows = page.jobs.map((job) => [
    String(job.id),
    statusText(job),
    orDash(job.tier),
    job.created_at,
    truncate(job.goal ?? "", 60)
  ])
  return `${table(["ID", "STATUS", "TIER", "CREATED", "GOAL"], rows)}\npage ${page.page} of ${pages}, ${page.total} jobs`
}

export const routingTable = (rows: ReadonlyArray<ModelRouting>): string =>
  rows.length === 0 ? "no model routing configured" : table(
    ["TIER", "MODEL", "GPU", "MAX ROUNDS", "AGENTS", "VLLM ARGS"],
    rows.map((row) => [
      row.sim_tier,
      row.model_id,
      row.gpu_type,
      String(row.max_rounds),
      String(row.target_agents),
      orDash(row.vllm_args)
    ])
  )
