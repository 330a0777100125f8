/**
 * One job: status and stage, live progress from the event stream while it runs, the timeline and pods, costs, and
 * once there are results the market curves, the social graph, the report and the artifacts. The buttons say what
 * they do (title) and the destructive ones ask first. Another user's job, or one that does not exist, shows
 * "not found".
 */
import { type ReactNode, useCallback, useEffect, useRef, useState } from "react"
import { Option, Schema } from "effect"
import type { MarketCurve } from "../../../src/domain/artifacts.ts"
import { JobId } from "../../../src/domain/ids.ts"
import { type Job } from "../../../src/domain/job.ts"
import { Progress } from "../../../src/domain/job-event.ts"
import type { SocialGraphView } from "../../../src/domain/social-graph-view.ts"
import { stageName } from "../../../src/domain/stage.ts"
import { isLive, isTerminal, retryableStatuses } from "../../../src/domain/status.ts"
import type { Outcome } from "../api/client.ts"
import { followEvents, type LiveEvent } from "../api/events.ts"
import { CurvesChart, GraphView } from "../components/LazyCharts.tsx"
import { Link } from "../components/Link.tsx"
import { LiveProgress } from "../components/LiveProgress.tsx"
import { KeyInsight, ReportView } from "../components/ReportView.tsx"
import { StatusBadge } from "../components/StatusBadge.tsx"
import { Timeline } from "../components/Timeline.tsx"
import { age, dateTime, duration, money } from "../format.ts"
import { navigate } from "../router.ts"
import { expiredMessage, type Loaded, useApi, useLoad, useSession } from "../session.tsx"

const decodeProgress = Schema.decodeUnknownOption(Progress)

export const NotFound = ({ what }: { readonly what: string }) => (
  <main className="page narrow">
    <div className="empty card" data-testid="not-found">
      <h1>Not found</h1>
      <p className="muted">{what} does not exist, or it is not yours.</p>
      <Link href="/jobs" className="button">Back to your jobs</Link>
    </div>
  </main>
)

/** A section that loads on its own and says "not available" when the API has nothing (yet). */
const Section = <A,>({ title, loaded, children, testId }: {
  readonly title: string
  readonly loaded: Loaded<A>
  readonly children: (value: A) => ReactNode
  readonly testId?: string
}) => (
  <section className="card section">
    <h2>{title}</h2>
    {loaded.state === "loading" && <p className="muted">Loading…</p>}
    {loaded.state === "failed" && (
      <p className="muted" data-testid={testId}>
        {loaded.failure.kind === "not-found" ? "Not available." : loaded.failure.message}
      </p>
    )}
    {loaded.state === "ok" && children(loaded.value)}
  </section>
)

export const JobPage = ({ id }: { readonly id: number }) => {
  const api = useApi()
  const { token, signOut } = useSession()
  const jobId = JobId.make(id)
  const { loaded: job, reload: reloadJob } = useLoad(() => api((client) => client.jobs.get({ params: { id: jobId } })), `job-${id}`)
  const { loaded: timeline, reload: reloadTimeline } = useLoad(
    () => api((client) => client.jobs.timeline({ params: { id: jobId } })),
    `timeline-${id}`
  )
  const [progress, setProgress] = useState<Progress | null>(null)
  const [stage, setStage] = useState<number | null>(null)
  const [connected, setConnected] = useState(false)
  const [shareUrl, setShareUrl] = useState<string | null>(null)
  const [message, setMessage] = useState<{ readonly kind: "error" | "info"; readonly text: string } | null>(null)
  const [busy, setBusy] = useState<string | null>(null)

  const status = job.state === "ok" ? job.value.status : null
  const live = status !== null && isLive(status)

  // Seed the live view from the job itself, then follow its events.
  useEffect(() => {
    if (job.state !== "ok") return
    setStage((current) => current ?? job.value.pipeline_stage)
    const initial = Option.getOrNull(decodeProgress(job.value.live_status))
    setProgress((current) => current ?? initial)
    if (job.state === "ok") document.title = `${job.value.goal ?? `Job ${id}`} · fishcloud`
  }, [job, id])

  // Reloads after events come in, at most every 400 ms.
  const pending = useRef<number | null>(null)
  const refresh = useCallback(() => {
    if (pending.current !== null) return
    pending.current = window.setTimeout(() => {
      pending.current = null
      void reloadJob()
      void reloadTimeline()
    }, 400)
  }, [reloadJob, reloadTimeline])
  useEffect(() => () => {
    if (pending.current !== null) window.clearTimeout(pending.current)
  }, [])

  useEffect(() => {
    if (!live || token === null) return
    const onEvent = (event: LiveEvent) => {
      if (!event.known) return refresh()
      const { event: change } = event
      if (change.kind === "progress") setProgress(change.data)
      else if (change.kind === "stage") {
        setStage(change.data.stage)
        refresh()
      } else refresh()
    }
    return followEvents(id, token, {
      onEvent,
      onEnd: refresh,
      onUnauthorized: () => signOut(expiredMessage),
      onConnection: setConnected
    })
  }, [live, token, id, refresh, signOut])

  // A live job's timeline durations keep growing: refresh them now and then even without events.
  useEffect(() => {
    if (!live) return
    const timer = window.setInterval(() => void reloadTimeline(), 10_000)
    return () => window.clearInterval(timer)
  }, [live, reloadTimeline])

  if (job.state === "loading") return <main className="page"><p className="muted">Loading…</p></main>
  if (job.state === "failed") {
    if (job.failure.kind === "not-found") return <NotFound what={`Job ${id}`} />
    return <main className="page"><p className="banner error" role="alert">{job.failure.message}</p></main>
  }
  const current = job.value

  const act = async <A,>(name: string, run: () => Promise<Outcome<A>>, then: (value: A) => void) => {
    setBusy(name)
    setMessage(null)
    const outcome = await run()
    setBusy(null)
    if (outcome.ok) then(outcome.value)
    else setMessage({ kind: "error", text: outcome.failure.message })
  }

  const cancel = () => {
    if (!window.confirm(`Cancel job ${id}? Its pods are torn down and the simulation stops; this cannot be undone.`)) return
    void act("cancel", () => api((client) => client.jobs.cancel({ params: { id: jobId } })), () => refresh())
  }
  const remove = () => {
    if (!window.confirm(`Delete job ${id}? A running job is cancelled first; its results, artifacts and share link are removed.`)) return
    void act("delete", () => api((client) => client.jobs.delete({ params: { id: jobId } })), () => navigate("/jobs"))
  }
  const retry = () =>
    void act("retry", () => api((client) => client.jobs.retry({ params: { id: jobId } })), (next: Job) => navigate(`/jobs/${next.id}`))
  const launch = () =>
    void act("launch", () => api((client) => client.drafts.launch({ params: { id: jobId } })), () => void reloadJob())
  const enrichAgain = () =>
    void act("enrich", () => api((client) => client.results.enrichRetry({ params: { id: jobId } })), () => {
      setMessage({ kind: "info", text: "Enrichment started again; the job's events show when it is done." })
      refresh()
    })
  const share = () =>
    void act("share", () => api((client) => client.results.share({ params: { id: jobId } })), (link) => setShareUrl(link.url))
  const unshare = () => {
    if (!window.confirm("Revoke the share link? Anyone who has it will get \"not found\".")) return
    void act("unshare", () => api((client) => client.results.unshare({ params: { id: jobId } })), () => {
      setShareUrl(null)
      setMessage({ kind: "info", text: "The share link is revoked." })
    })
  }
  const exportPdf = async () => {
    setBusy("pdf")
    setMessage(null)
    const response = await fetch(`/api/jobs/${id}/export/pdf`, { headers: { authorization: `Bearer ${token ?? ""}` } }).catch(() => null)
    setBusy(null)
    if (response === null) return setMessage({ kind: "error", text: "The service could not be reached" })
    if (response.status === 401) return signOut(expiredMessage)
    if (!response.ok) {
      const body: unknown = await response.json().catch(() => null)
      const detail = typeof body === "object" && body !== null ? Reflect.get(body, "detail") ?? Reflect.get(body, "title") : null
      return setMessage({ kind: "error", text: typeof detail === "string" ? detail : `The PDF could not be made (HTTP ${response.status})` })
    }
    const url = URL.createObjectURL(await response.blob())
    const anchor = document.createElement("a")
    anchor.href = url
    anchor.download = `fishcloud-job-${id}.pdf`
    document.body.append(anchor)
    anchor.click()
    anchor.remove()
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  const completed = current.status === "COMPLETED"
  // Until the GPU cost is settled (every pod gone), the pods' cost so far.
  const gpuCost = current.gpu_cost_usd ?? (timeline.state === "ok" ? timeline.value.gpu_cost_usd : 0)
  const canEnrich = current.status === "DRAFT" || isTerminal(current.status)

  return (
    <main className="page">
      <div className="crumbs"><Link href="/jobs">← Jobs</Link></div>
      <div className="job-head">
        <div>
          <h1 className="job-title">{current.goal ?? <em>Untitled draft</em>}</h1>
          <div className="meta">
            <StatusBadge status={current.status} />
            {live && <span className="stage-name">{stage === null ? "starting" : stageName(stage)}</span>}
            <span>#{current.id}</span>
            <span>{current.tier ?? "no tier"}</span>
            <span title={dateTime(current.created_at)}>created {age(current.created_at)}</span>
            {current.forecast_days !== null && <span>{current.forecast_days}-day forecast</span>}
            {current.retry_of !== null && <Link href={`/jobs/${current.retry_of}`}>retry of #{current.retry_of}</Link>}
          </div>
        </div>
        <div className="actions">
          {current.status === "DRAFT" && (
            <button type="button" className="button primary" disabled={busy !== null} onClick={launch}
              title="Launch this draft: check it like a new job and start its simulation">Launch</button>
          )}
          {live && (
            <button type="button" className="button danger" data-testid="action-cancel" disabled={busy !== null} onClick={cancel}
              title="Cancel this job: stop the simulation and tear down its pods (asks first)">Cancel</button>
          )}
          {retryableStatuses.includes(current.status) && (
            <button type="button" className="button" data-testid="action-retry" disabled={busy !== null} onClick={retry}
              title="Retry: start a new job with the same seed, goal and tier">Retry</button>
          )}
          {canEnrich && (
            <button type="button" className="button" data-testid="action-enrich-retry" disabled={busy !== null} onClick={enrichAgain}
              title="Enrich the seed again with web and X search, in the background">Re-enrich</button>
          )}
          {completed && (
            <button type="button" className="button" data-testid="action-share" disabled={busy !== null} onClick={share}
              title="Share: make a public read-only link to this job's report, curves and graph">Share</button>
          )}
          {completed && (
            <a href={`/api/jobs/${id}/export/pdf`} className="button" data-testid="export-pdf"
              title="Export the report as a PDF file"
              onClick={(event) => {
                event.preventDefault()
                void exportPdf()
              }}>
              {busy === "pdf" ? "Preparing…" : "Export PDF"}
            </a>
          )}
          <button type="button" className="button danger ghost" data-testid="action-delete" disabled={busy !== null} onClick={remove}
            title="Delete this job and its results, artifacts and share link (a running job is cancelled first; asks first)">Delete</button>
        </div>
      </div>

      {message !== null && <p className={`banner ${message.kind}`} role={message.kind === "error" ? "alert" : "status"}>{message.text}</p>}
      {shareUrl !== null && (
        <div className="banner share">
          <span>Public link:</span>
          <a href={shareUrl} data-testid="share-url" target="_blank" rel="noreferrer">{shareUrl}</a>
          <button type="button" className="button small" title="Copy the link" onClick={() => void navigator.clipboard?.writeText(shareUrl)}>Copy</button>
          <button type="button" className="button small danger ghost" data-testid="action-unshare" onClick={unshare}
            title="Revoke the link: it answers &quot;not found&quot; from now on (asks first)">Revoke</button>
        </div>
      )}
      {current.error_message !== null && <p className="banner error">{current.error_message}</p>}

      <div className="grid">
        <div className="main-col">
          {live && <LiveProgress progress={progress} stage={stage} connected={connected} />}
          <KeyInsight text={current.key_insight} />
          {(completed || current.sim_data_available) && <Results id={jobId} job={current} />}
          <SeedDetails job={current} />
        </div>
        <aside className="side-col">
          <section className="card section">
            <h2>Cost</h2>
            <dl className="costs">
              <div><dt>GPU</dt><dd data-testid="cost-gpu" title={current.gpu_cost_usd === null ? "so far" : "settled"}>{money(gpuCost)}</dd></div>
              <div>
                <dt>LLM</dt>
                <dd data-testid="cost-llm" title={`${current.llm_input_tokens.toLocaleString()} input + ${current.llm_output_tokens.toLocaleString()} output tokens`}>
                  {money(current.llm_cost_usd)}
                </dd>
              </div>
              <div className="total"><dt>Total</dt><dd>{money(gpuCost + current.llm_cost_usd)}</dd></div>
            </dl>
            <p className="muted small">
              Provisioning {duration(current.provision_seconds)} · pipeline {duration(current.pipeline_seconds)}
            </p>
          </section>
          <Section title="Timeline" loaded={timeline}>
            {(value) => <Timeline timeline={value} />}
          </Section>
        </aside>
      </div>
    </main>
  )
}

const Results = ({ id, job }: { readonly id: JobId; readonly job: Job }) => {
  const api = useApi()
  const key = `${id}-${job.status}`
  const { loaded: curves } = useLoad<ReadonlyArray<MarketCurve>>(() => api((client) => client.results.curves({ params: { id } })), key)
  const { loaded: graph } = useLoad<SocialGraphView>(() => api((client) => client.results.graph({ params: { id } })), key)
  const { loaded: report } = useLoad(() => api((client) => client.jobs.report({ params: { id } })), key)
  const { loaded: files } = useLoad(() => api((client) => client.jobs.simData({ params: { id } })), key)
  return (
    <>
      <Section title="Market curves" loaded={curves}>{(value) => <CurvesChart curves={value} />}</Section>
      <Section title="Who influenced whom" loaded={graph}>{(value) => <GraphView graph={value} />}</Section>
      <Section title="Analyst report" loaded={report}>{(value) => <ReportView report={value} showInsight={false} />}</Section>
      <Section title="Artifacts" loaded={files}>
        {(value) => (
          <ul className="artifacts">
            {Object.entries(value.files).sort(([a], [b]) => a.localeCompare(b)).map(([name, url]) => (
              <li key={name}>
                <a href={url} download={name} data-testid="artifact-link" title={`Download ${name}`}>{name}</a>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  )
}

const SeedDetails = ({ job }: { readonly job: Job }) => (
  <section className="card section">
    <details>
      <summary>Seed{job.enriched_seed !== null ? " and enrichment" : ""}</summary>
      <pre className="seed">{job.seed_text}</pre>
      {job.enriched_seed !== null && (
        <>
          <h3>Enriched seed</h3>
          <pre className="seed">{job.enriched_seed}</pre>
        </>
      )}
      {job.enrichment_citations !== null && job.enrichment_citations.length > 0 && (
        <ul className="citations">
          {job.enrichment_citations.map((citation) => (
            <li key={citation.url}><a href={citation.url} target="_blank" rel="noreferrer">{citation.title || citation.url}</a></li>
          ))}
        </ul>
      )}
    </details>
  </section>
)
