/** The job's steps with their durations, and every pod it rented: GPU, price, lifetime, cost and why it ended. */
import { stageName } from "../../../src/domain/stage.ts"
import type { JobTimeline } from "../../../src/domain/timeline.ts"
import { dateTime, duration, money } from "../format.ts"

/** `stage 3` reads as the stage's name; statuses read as they are. */
const stepLabel = (name: string) => {
  const stage = /^stage (\d+)$/.exec(name)
  return stage?.[1] === undefined ? name : stageName(Number(stage[1]))
}

export const Timeline = ({ timeline }: { readonly timeline: JobTimeline }) => {
  const longest = Math.max(1, ...timeline.steps.map((step) => step.seconds))
  return (
    <>
      <ol className="timeline" data-testid="job-timeline">
        {timeline.steps.length === 0 && <li className="muted">Nothing has happened yet.</li>}
        {timeline.steps.map((step, index) => (
          <li key={`${step.name}-${index}`} className={`step ${step.kind} outcome-${step.outcome}`}>
            <span className="step-dot" aria-hidden="true" />
            <span className="step-name">{stepLabel(step.name)}{step.attempts > 1 && <span className="muted"> · {step.attempts} attempts</span>}</span>
            <span className="step-bar" aria-hidden="true"><i style={{ width: `${Math.max(2, (100 * step.seconds) / longest)}%` }} /></span>
            <span className="step-time" title={`${dateTime(step.started_at)} → ${dateTime(step.ended_at)}`}>
              {duration(step.seconds)}{step.outcome === "running" && " …"}
            </span>
          </li>
        ))}
      </ol>
      <h3>Pods</h3>
      <div data-testid="job-pods">
        {timeline.pods.length === 0 ? <p className="muted">No pods yet.</p> : (
          <ul className="pods">
            {timeline.pods.map((pod) => (
              <li key={`${pod.name}-${pod.requested_at}`} className="pod">
                <div className="pod-head">
                  <span className="mono" title={`${pod.provider} · ${pod.pod_id ?? "never created"}`}>{pod.name}</span>
                  {pod.terminated_at === null && <span className="badge live status-running">up</span>}
                </div>
                <dl>
                  <dt>GPU</dt><dd>{pod.gpu_type ?? "—"}</dd>
                  <dt>Price</dt><dd>{pod.cost_per_hour === null ? "—" : `${money(pod.cost_per_hour)}/h`}</dd>
                  <dt>Lifetime</dt><dd>{duration(pod.seconds)}</dd>
                  <dt>Cost</dt><dd>{money(pod.cost_usd)}</dd>
                  <dt>Ended</dt><dd>{pod.termination_reason ?? (pod.terminated_at === null ? "still running" : "—")}</dd>
                </dl>
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  )
}
