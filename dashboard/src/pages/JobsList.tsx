/**
 * Your jobs, newest first, a page at a time (`next_after` cursors; Previous goes back through the cursors seen),
 * filtered by status on the server. The live jobs on the page are followed over one event stream
 * (`GET /api/events`): a status, stage or cost change reads the page again, so statuses move without a reload.
 * Drafts have a Launch button.
 */
import { useEffect, useRef, useState } from "react"
import type { Job, JobPage } from "../../../src/domain/job.ts"
import { isLive, JobStatus } from "../../../src/domain/status.ts"
import { JobId } from "../../../src/domain/ids.ts"
import { followJobs } from "../api/events.ts"
import { Link } from "../components/Link.tsx"
import { StatusBadge } from "../components/StatusBadge.tsx"
import { age, money } from "../format.ts"
import { navigate } from "../router.ts"
import { expiredMessage, useApi, useLoad, useSession } from "../session.tsx"

const perPage = 20
/** Changes that arrive together (a job's status and stage) read the page once. */
const reloadDelayMillis = 300
/** After the list stream ended with jobs still live on the page. */
const reconnectMillis = 3000

export const JobsList = () => {
  const api = useApi()
  const { token, signOut } = useSession()
  /** The `after` cursor of each page visited; the last is the page shown (0 = the first page). */
  const [cursors, setCursors] = useState<ReadonlyArray<number>>([0])
  const [filter, setFilter] = useState<"all" | JobStatus>("all")
  const [actionError, setActionError] = useState<string | null>(null)
  const after = cursors[cursors.length - 1] ?? 0
  const { loaded, reload } = useLoad<JobPage>(
    () =>
      api((client) =>
        client.jobs.list({
          query: {
            per_page: perPage,
            ...(after === 0 ? {} : { after: JobId.make(after) }),
            ...(filter === "all" ? {} : { status: filter })
          }
        })
      ),
    `${after}:${filter}`
  )
  const liveIds = loaded.state === "ok" ? loaded.value.jobs.filter((job) => isLive(job.status)).map((job) => job.id) : []
  const liveKey = liveIds.join(",")
  const pending = useRef<number | null>(null)
  /** Bumped to follow the same jobs again after the stream ended while they still looked live (a dropped stream). */
  const [followRound, setFollowRound] = useState(0)
  useEffect(() => {
    if (liveKey === "" || token === null) return
    const soon = () => {
      if (pending.current !== null) return
      pending.current = window.setTimeout(() => {
        pending.current = null
        void reload()
      }, reloadDelayMillis)
    }
    let again: number | null = null
    const stop = followJobs(liveKey.split(",").map(Number), token, {
      onChange: soon,
      onEnd: () => {
        // The page read again shows which jobs are still live; if none changed, follow them again a little later.
        soon()
        again = window.setTimeout(() => setFollowRound((round) => round + 1), reconnectMillis)
      },
      onUnauthorized: () => signOut(expiredMessage)
    })
    return () => {
      stop()
      if (again !== null) window.clearTimeout(again)
      if (pending.current !== null) window.clearTimeout(pending.current)
      pending.current = null
    }
  }, [liveKey, followRound, token, reload, signOut])

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
              onChange={(event) => {
                setFilter(event.target.value === "all" ? "all" : statusOf(event.target.value))
                setCursors([0])
              }}>
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
  const jobs = page.jobs
  if (jobs.length === 0 && filter === "all") {
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
            <tr><td colSpan={7} className="muted center">No {filter === "all" ? "" : filter.toLowerCase()} jobs.</td></tr>
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
