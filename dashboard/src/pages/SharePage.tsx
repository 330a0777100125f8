/**
 * The public page of a share link (`/s/:token`): no sign-in, only what `GET /api/share/:token` gives (goal, key
 * insight, report, curves, graph). An unknown or revoked token shows "not found".
 */
import { useEffect } from "react"
import { call } from "../api/client.ts"
import { CurvesChart, GraphView } from "../components/LazyCharts.tsx"
import { KeyInsight, ReportView } from "../components/ReportView.tsx"
import { dateTime } from "../format.ts"
import { useLoad } from "../session.tsx"
import { NotFound } from "./JobPage.tsx"

export const SharePage = ({ token }: { readonly token: string }) => {
  const { loaded } = useLoad(() => call(null, (client) => client.share.get({ params: { token } })), token)
  useEffect(() => {
    if (loaded.state === "ok") document.title = `${loaded.value.goal ?? "Shared result"} · fishcloud`
  }, [loaded])
  if (loaded.state === "loading") return <main className="page"><p className="muted">Loading…</p></main>
  if (loaded.state === "failed") {
    if (loaded.failure.kind === "not-found" || loaded.failure.kind === "invalid") return <NotFound what="This shared result" />
    return <main className="page"><p className="banner error" role="alert">{loaded.failure.message}</p></main>
  }
  const shared = loaded.value
  return (
    <main className="page share-page" data-testid="share-page">
      <p className="eyebrow">Shared simulation result</p>
      <h1 className="job-title">{shared.goal ?? "Untitled job"}</h1>
      <div className="meta">
        {shared.tier !== null && <span>{shared.tier} tier</span>}
        <span>completed {dateTime(shared.completed_at ?? shared.created_at)}</span>
      </div>
      <KeyInsight text={shared.key_insight} />
      <section className="card section">
        <h2>Market curves</h2>
        <CurvesChart curves={shared.curves} />
      </section>
      <section className="card section">
        <h2>Who influenced whom</h2>
        {shared.graph === null ? <p className="muted">No graph for this job.</p> : <GraphView graph={shared.graph} />}
      </section>
      <section className="card section">
        <h2>Analyst report</h2>
        {shared.report === null ? <p className="muted">No report.</p> : <ReportView report={shared.report} showInsight={false} />}
      </section>
      <footer className="share-foot muted">Made with fishcloud · a read-only page: nothing else of the owner's is reachable from it.</footer>
    </main>
  )
}
