/**
 * Your jobs, newest first, a page at a time (`next_after` cursors; Previous goes back through the cursors seen).
 * The status filter applies to the page shown (the API has no status filter). While a job on the page is live the
 * page refreshes every few seconds, so statuses move without a reload. Drafts have a Launch button.
 */
import { useEffect, useState } from "react"
import type { Job, JobPage } from "../../../src/domain/job.ts"
import { isLive, JobStatus } from "../../../src/domain/status.ts"
import { JobId } from "../../../src/domain/ids.ts"
import { Link } from "../components/Link.tsx"
import { StatusBadge } from "../components/StatusBadge.tsx"
import { age, money } from "../format.ts"
import { navigate } from "../router.ts"
import { useApi, useLoad } from "../session.tsx"

const perPage = 20
const refreshMillis = 4000

export const JobsList = () => {
  const api = useApi()
  /** The `after` cursor of each page visited; the last is the page shown (0 = the first page). */
  const [cursors, setCursors] = useState<ReadonlyArray<number>>([0])
  const [filter, setFilter] = useState<"all" | JobStatus>("all")
  const [actionError, setActionError] = useState<string | null>(null)
  const after = cursors[cursors.length - 1] ?? 0
  const { loaded, reload } = useLoad<JobPage>(
    () => api((client) => client.jobs.list({ query: after === 0 ? { per_page: perPage } : { per_page: perPage, after: JobId.make(after) } })),
    `${after}`
  )
  const live = loaded.state === "ok" && loaded.value.jobs.some((job) => isLive(job.status))
  useEffect(() => {
    if (!live) return
    const timer = window.setInterval(() => void reload(), refreshMillis)
    return () => window.clearInterval(timer)
  }, [live, reload])

  const launch = async (job: Job) => {
    setActionError(null)
    const outcome = await api((client) => client.drafts.launch({ params: { id: job.id } }))
    if (outcome.ok) navigate(`/jobs/${job.id}`)
    else setActionError(`Draft ${job.id} cannot be launched: ${outcome.failure.message}`)
  }

  return (
    <main className="page">
      <div className="page-head">
        <h1>Jobs</h1>
        <div className="page-actions">
          <label className="inline-field">
            <span>Status</span>
            <select data-testid="filter-status" value={filter}
              onChange={(event) => setFilter(event.target.value === "all" ? "all" : statusOf(event.target.value))}>
              <option value="all">All</option>
              {JobStatus.literals.map((status) => <option key={status} value={status}>{status.toLowerCase()}</option>)}
            </select>
          </label>
          <Link href="/new" className="button primary" data-testid="new-job">New job</Link>
        </div>
      </div>
      {actionError !== null && <p className="banner error" role="alert">{actionError}</p>}
      {loaded.state === "loading" && <p className="muted">Loading…</p>}
      {loaded.state === "failed" && <p className="banner error" role="alert">{loaded.failure.message}</p>}
      {loaded.state === "ok" && (
        <JobsTable page={loaded.value} filter={filter} onLaunch={(job) => void launch(job)} />
      )}
      <div className="pager">
        <button type="button" className="button" data-testid="page-prev" disabled={cursors.length <= 1}
          onClick={() => setCursors((seen) => seen.slice(0, -1))}>
          ← Previous
        </button>
        {loaded.state === "ok" && <span className="muted">{loaded.value.total} job{loaded.value.total === 1 ? "" : "s"}</span>}
        <button type="button" className="button" data-testid="page-next"
          disabled={loaded.state !== "ok" || loaded.value.next_after === null}
          onClick={() => {
            if (loaded.state === "ok" && loaded.value.next_after !== null) {
              const next = loaded.value.next_after
              setCursors((seen) => [...seen, next])
            }
          }}>
          Next →
        </button>
      </div>
    </main>
  )
}

const statusOf = (value: string): JobStatus =>
  JobStatus.literals.find((status) => status === value) ?? "PENDING"

const JobsTable = ({ page, filter, onLaunch }: {
  readonly page: JobPage
  readonly filter: "all" | JobStatus
  readonly onLaunch: (job: Job) => void
}) => {
  const jobs = filter === "all" ? page.jobs : page.jobs.filter((job) => job.status === filter)
  if (page.jobs.length === 0) {
    return (
      <div className="empty card" data-testid="jobs-list">
        <h2>No jobs yet</h2>
        <p className="muted">Submit a seed document and a question; fishcloud simulates the crowd and writes the report.</p>
        <Link href="/new" className="button primary">Start your first job</Link>
      </div>
    )
  }
  return (
    <div className="card table-card">
      <table className="jobs" data-testid="jobs-list">
        <thead>
          <tr>
            <th>#</th>
            <th>Status</th>
            <th>Goal</th>
            <th className="hide-narrow">Tier</th>
            <th className="num">Cost</th>
            <th className="hide-narrow">Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.length === 0 && (
            <tr><td colSpan={7} className="muted center">No {filter === "all" ? "" : filter.toLowerCase()} jobs on this page.</td></tr>
          )}
          {jobs.map((job) => (
            <tr key={job.id} data-testid="job-row" data-job-id={job.id} className="clickable"
              onClick={(event) => {
                if (!(event.target instanceof Element && event.target.closest("a,button") !== null)) navigate(`/jobs/${job.id}`)
              }}>
              <td className="mono">{job.id}</td>
              <td><StatusBadge status={job.status} /></td>
              <td className="goal"><Link href={`/jobs/${job.id}`}>{job.goal ?? <em className="muted">no goal yet</em>}</Link></td>
              <td className="hide-narrow">{job.tier ?? "—"}</td>
              <td className="num" title={`GPU ${money(job.gpu_cost_usd)} + LLM ${money(job.llm_cost_usd)}`}>
                {money((job.gpu_cost_usd ?? 0) + job.llm_cost_usd)}
              </td>
              <td className="hide-narrow" title={job.created_at}>{age(job.created_at)}</td>
              <td className="row-actions">
                {job.status === "DRAFT" && (
                  <button type="button" className="button small" title="Launch this draft: check it like a new job and start it"
                    onClick={() => onLaunch(job)}>
                    Launch
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
