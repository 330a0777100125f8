/** While a job runs: round x/y as a bar, the stage's name, the last log lines and the newest posts. */
import type { Progress } from "../../../src/domain/job-event.ts"
import { stageName } from "../../../src/domain/stage.ts"

/** A recent chat entry worth showing (a post or reply with text), whatever its exact shape. */
const postText = (post: unknown): { readonly who: string; readonly text: string } | undefined => {
  if (typeof post !== "object" || post === null) return undefined
  const who: unknown = Reflect.get(post, "agent_name") ?? Reflect.get(post, "agent_id")
  const text: unknown = Reflect.get(post, "text") ?? Reflect.get(post, "content")
  const action: unknown = Reflect.get(post, "action")
  if (typeof text !== "string" || text.trim() === "" || (action !== undefined && action !== "post" && action !== "reply")) return undefined
  return { who: typeof who === "string" ? who : "agent", text }
}

export const LiveProgress = ({ progress, stage, connected }: {
  readonly progress: Progress | null
  readonly stage: number | null
  readonly connected: boolean
}) => {
  const round = progress?.round ?? null
  const max = progress?.max_rounds ?? null
  const share = round !== null && max !== null && max > 0 ? Math.min(1, round / max) : null
  const posts = (progress?.recent_posts ?? []).map(postText).filter((post) => post !== undefined).slice(-4)
  return (
    <section className="card live-card">
      <div className="live-head">
        <h2>Live progress</h2>
        <span className={`dot ${connected ? "on" : "off"}`} title={connected ? "Following the job's events" : "Reconnecting…"} />
      </div>
      <p className="stage-line">{stage === null ? "Waiting to start" : stageName(stage)}</p>
      <div data-testid="job-progress" className="progress">
        <div className="progress-bar" role="progressbar" aria-valuemin={0} aria-valuemax={max ?? 0} aria-valuenow={round ?? 0}>
          <i style={{ width: share === null ? "0%" : `${Math.round(share * 100)}%` }} className={share === null ? "indeterminate" : ""} />
        </div>
        <span className="progress-label">{round === null ? "no rounds yet" : `round ${round}${max === null ? "" : `/${max}`}`}</span>
      </div>
      {progress !== null && progress.log_lines.length > 0 && (
        <pre className="log">{progress.log_lines.join("\n")}</pre>
      )}
      {posts.length > 0 && (
        <ul className="posts">
          {posts.map((post, index) => <li key={index}><strong>{post.who}</strong><span>{post.text}</span></li>)}
        </ul>
      )}
    </section>
  )
}
