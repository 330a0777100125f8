/**
 * The analyst report: key insight, verdict, the findings as cards, the markdown body (rendered with marked and
 * sanitised with DOMPurify before it reaches the page), and the structured parts a report has (stakeholders,
 * coalitions, phases, quotable posts, the disagreement axis, the simulation's scale; old reports lack the last six).
 */
import DOMPurify from "dompurify"
import { marked } from "marked"
import { Option, Schema } from "effect"
import type { JobReport } from "../../../src/domain/job.ts"
import { StructuredReport } from "../../../src/domain/report.ts"
import { percent } from "../format.ts"

const decodeStructured = Schema.decodeUnknownOption(StructuredReport)

/** Markdown to HTML that holds no script, handler or foreign frame. */
const safeHtml = (markdown: string) => {
  const html = marked.parse(markdown, { async: false, gfm: true })
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } })
}

const Markdown = ({ text, testId, className }: { readonly text: string; readonly testId?: string; readonly className?: string }) => (
  <div className={`markdown ${className ?? ""}`} data-testid={testId} dangerouslySetInnerHTML={{ __html: safeHtml(text) }} />
)

export const KeyInsight = ({ text }: { readonly text: string | null }) =>
  text === null ? null : (
    <blockquote className="insight" data-testid="key-insight">
      <span className="insight-label">Key insight</span>
      <p>{text}</p>
    </blockquote>
  )

export const ReportView = ({ report, showInsight = true }: { readonly report: JobReport; readonly showInsight?: boolean }) => {
  const structured = Option.getOrUndefined(decodeStructured(report.structured))
  return (
    <div className="report">
      {showInsight && <KeyInsight text={report.key_insight} />}
      {structured !== undefined && structured.verdict !== "" && (
        <p className="verdict"><strong>Verdict:</strong> {structured.verdict}</p>
      )}
      {structured !== undefined && structured.findings.length > 0 && (
        <section>
          <h3>Findings</h3>
          <div className="findings">
            {structured.findings.map((finding, index) => (
              <article className="finding card" data-testid="finding-card" key={`${finding.slot}-${index}`}>
                <span className="slot">{finding.slot}</span>
                <h4>{finding.title}</h4>
                <Markdown text={finding.body} />
                {finding.citation !== null && <p className="citation">{finding.citation}</p>}
              </article>
            ))}
          </div>
        </section>
      )}
      <section>
        <h3>Report</h3>
        <Markdown text={report.report} testId="report-body" className="report-body" />
      </section>
      {structured !== undefined && <StructuredParts structured={structured} />}
    </div>
  )
}

const StructuredParts = ({ structured }: { readonly structured: StructuredReport }) => (
  <>
    {structured.sim_scale !== undefined && (
      <section>
        <h3>Scale of the simulation</h3>
        <dl className="stats">
          {Object.entries(structured.sim_scale).map(([name, value]) => (
            <div key={name}><dt>{name.replace(/_/g, " ")}</dt><dd>{value.toLocaleString()}</dd></div>
          ))}
        </dl>
      </section>
    )}
    {structured.disagreement_axis !== undefined && structured.disagreement_axis !== null && (
      <section>
        <h3>Where agents disagree most</h3>
        <div className="card axis">
          <p><strong>{structured.disagreement_axis.question || structured.disagreement_axis.market_id}</strong></p>
          <p className="muted">
            Spread {percent(structured.disagreement_axis.spread)} · mean belief {percent(structured.disagreement_axis.mean)}
            {structured.disagreement_axis.closing_price !== null && ` · closing price ${percent(structured.disagreement_axis.closing_price)}`}
          </p>
          <div className="sides">
            <div>
              <h4>YES ({structured.disagreement_axis.yes_count})</h4>
              <ul>{structured.disagreement_axis.yes_side.map((member) => <li key={member.agent_id}>{member.name} <span className="muted">{percent(member.belief)}</span></li>)}</ul>
            </div>
            <div>
              <h4>NO ({structured.disagreement_axis.no_count})</h4>
              <ul>{structured.disagreement_axis.no_side.map((member) => <li key={member.agent_id}>{member.name} <span className="muted">{percent(member.belief)}</span></li>)}</ul>
            </div>
          </div>
        </div>
      </section>
    )}
    {structured.stakeholder_positions !== undefined && structured.stakeholder_positions.length > 0 && (
      <section>
        <h3>Stakeholders</h3>
        <div className="table-scroll">
          <table className="compact">
            <thead><tr><th>Agent</th><th>Stance</th><th className="num">Actions</th><th className="num">Posts</th><th className="num">Trades</th><th className="num">Likes</th><th>Belief shift</th></tr></thead>
            <tbody>
              {structured.stakeholder_positions.map((position) => (
                <tr key={position.agent_id}>
                  <td>{position.name}</td>
                  <td>{position.stance ?? "—"}</td>
                  <td className="num">{position.actions}</td>
                  <td className="num">{position.posts}</td>
                  <td className="num">{position.trades}</td>
                  <td className="num">{position.likes}</td>
                  <td>{position.beliefs.map((belief) => `${percent(belief.first)} → ${percent(belief.final)}`).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    )}
    {structured.named_coalitions !== undefined && structured.named_coalitions.length > 0 && (
      <section>
        <h3>Coalitions</h3>
        <div className="cards">
          {structured.named_coalitions.map((coalition) => (
            <article className="card" key={coalition.name}>
              <h4>{coalition.name}</h4>
              <p className="muted">{coalition.size} members · {coalition.ties} ties{coalition.stance === null ? "" : ` · ${coalition.stance}`}</p>
              <p>{coalition.members.map((member) => member.name).join(", ")}</p>
            </article>
          ))}
        </div>
      </section>
    )}
    {structured.phase_boundaries !== undefined && structured.phase_boundaries.length > 0 && (
      <section>
        <h3>Turning points</h3>
        <ol className="phases">
          {structured.phase_boundaries.map((phase) => (
            <li key={`${phase.round}-${phase.kind}`}>
              <span className="phase-round">round {phase.round}</span>
              <strong>{phase.label}</strong>
              <span className="muted"> {phase.description}</span>
            </li>
          ))}
        </ol>
      </section>
    )}
    {structured.quotable_posts !== undefined && structured.quotable_posts.length > 0 && (
      <section>
        <h3>Posts worth quoting</h3>
        <div className="cards">
          {structured.quotable_posts.map((post) => (
            <blockquote className="card quote" key={post.post_id}>
              <p>{post.text}</p>
              <footer>{post.agent_name} · round {post.round} · {post.likes} likes · {post.replies} replies</footer>
            </blockquote>
          ))}
        </div>
      </section>
    )}
  </>
)
