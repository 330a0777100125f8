/**
 * The chaos run's verdict, a pure function of what it saw (`chaos-audit.ts`) and what it did: counts, the
 * invariants with the evidence for each one broken, the table printed at the end and the JSON written beside it.
 */
import { drawnFault } from "../../layers/pods/fake/fake-faults.ts"
import type { JobId } from "../../src/domain/ids.ts"
import { jobIdOfPodName } from "../../src/domain/pods.ts"
import { terminalStatuses } from "../../src/domain/status.ts"
import type { ChaosFacts } from "./chaos-audit.ts"

export interface Submission {
  /** 1..N, the order the run submitted in. */
  readonly n: number
  /** The job id the API answered with (201, a replay of the Idempotency-Key, or the job a 409 duplicate named). */
  readonly id: number | null
  readonly via: "created" | "duplicate" | "failed"
  readonly detail?: string | undefined
}

export interface ChaosEvent {
  /** Seconds since the run started. */
  readonly at: number
  readonly kind: "runner-start" | "sigkill" | "sigterm" | "postgres-restart" | "unexpected-exit" | "note"
  readonly detail: string
}

export interface RunRecord {
  readonly settings: {
    readonly jobs: number
    readonly runners: number
    readonly scale: number
    readonly seed: number
    readonly storeFaultRate: number
  }
  readonly submissions: ReadonlyArray<Submission>
  readonly events: ReadonlyArray<ChaosEvent>
  readonly maintenance: { readonly how: string; readonly output: string }
  readonly wallSeconds: number
  /** Whether every job was terminal before the deadline. */
  readonly settled: boolean
}

const terminal = new Set<string>(terminalStatuses)

const countBy = <A>(items: ReadonlyArray<A>, key: (item: A) => string) => {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

/** Nearest-rank percentile of seconds, rounded to a tenth; null when there is nothing to rank. */
const percentile = (values: ReadonlyArray<number>, p: number) => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return Math.round(sorted[rank - 1]! * 10) / 10
}

/** The reason code of a failed job or a terminated pod: the message up to its first colon ("reaped: why" whole). */
const reasonCode = (message: string | null) => {
  const text = message ?? "(no message)"
  return (text.startsWith("reaped:") ? text : text.split(":")[0]!).trim().slice(0, 40)
}

/** Pods whose lifetimes, as the provider saw them, overlap within one job. */
const overlappingPods = (facts: ChaosFacts) => {
  const byJob = new Map<number, Array<ChaosFacts["fake"]["pods"][number]>>()
  for (const pod of facts.fake.pods) {
    const job = jobIdOfPodName(pod.name)
    if (job !== undefined) byJob.set(job, [...(byJob.get(job) ?? []), pod])
  }
  const found: Array<{ job_id: number; pods: Array<string> }> = []
  for (const [job, pods] of byJob) {
    const sorted = [...pods].sort((a, b) => a.created_at - b.created_at)
    const overlapping = sorted.filter((pod, i) =>
      sorted.some((other, j) => j !== i && other.created_at <= pod.created_at && pod.created_at < (other.terminated_at ?? Infinity))
    )
    if (overlapping.length > 0) {
      found.push({ job_id: job, pods: sorted.map((pod) => `${pod.id} ${pod.name} ${iso(pod.created_at)}..${pod.terminated_at === null ? "live" : iso(pod.terminated_at)}`) })
    }
  }
  return found
}

const iso = (millis: number) => new Date(millis).toISOString()

/**
 * Pods the provider was asked to terminate more than once: the first call terminates, each later one finds the pod
 * gone (`terminate-missing`). Each call says whether the pods row already recorded the pod terminated when it came,
 * which tells a step re-run before its row was written from one that asked again after it.
 */
const repeatedTerminates = (facts: ChaosFacts) => {
  const created = new Set(facts.fake.pods.map((pod) => pod.id))
  const rowTerminatedAt = new Map(facts.pods.flatMap((pod) => pod.pod_id === null || pod.terminated_at === null ? [] : [[pod.pod_id, pod.terminated_at] as const]))
  const calls = facts.fake.ledger.filter((entry) =>
    (entry.op === "terminate" || entry.op === "terminate-missing") && entry.pod_id !== null && created.has(entry.pod_id))
  return Object.entries(countBy(calls, (entry) => entry.pod_id!))
    .filter(([, count]) => count > 1)
    .map(([podId]) => {
      const recorded = rowTerminatedAt.get(podId)
      return {
        pod_id: podId,
        row_terminated_at: recorded === undefined ? null : iso(recorded),
        calls: calls.filter((entry) => entry.pod_id === podId).map((entry) =>
          `${entry.op} ${entry.name} ${iso(entry.at)}${recorded !== undefined && entry.at > recorded ? " (row already terminated)" : ""}`)
      }
    })
}

const byDrawnFault = (facts: ChaosFacts, seed: number) => {
  const ends: Record<string, Record<string, number>> = {}
  for (const job of facts.jobs) {
    const fault = drawnFault(seed, job.id as JobId) ?? "none"
    const end = job.status === "FAILED" ? `FAILED ${reasonCode(job.error_message)}` : job.status
    const counts = ends[fault] ?? {}
    counts[end] = (counts[end] ?? 0) + 1
    ends[fault] = counts
  }
  return ends
}

export const chaosReport = (facts: ChaosFacts, run: RunRecord) => {
  const rows = new Map(facts.jobs.map((job) => [job.id, job]))
  const submittedIds = new Set(run.submissions.flatMap((submission) => submission.id === null ? [] : [submission.id]))
  const finished = facts.jobs.filter((job) => terminal.has(job.status))
  const seconds = finished.flatMap((job) => job.ended_at === null ? [] : [(job.ended_at - job.created_at) / 1000])
  const ledger = countBy(facts.fake.ledger, (entry) => entry.op)
  const reapedLine = /(\d+) of (\d+) pod\(s\) reaped/.exec(run.maintenance.output)

  const invariants = {
    jobs_not_submitted: run.submissions.filter((submission) => submission.id === null),
    jobs_still_live: facts.jobs.filter((job) => !terminal.has(job.status)).map((job) => ({ id: job.id, status: job.status })),
    jobs_lost: [
      ...[...submittedIds].filter((id) => !rows.has(id)).map((id) => ({ id, why: "the API answered with this id; no row" })),
      ...facts.liveWithoutExecution
    ],
    pods_still_live: [
      ...facts.fake.pods.filter((pod) => pod.terminated_at === null).map((pod) => `provider: ${pod.id} ${pod.name}`),
      ...facts.pods.filter((pod) => pod.pod_id !== null && pod.terminated_at === null).map((pod) => `pods table: ${pod.pod_id} ${pod.name} (job ${pod.job_id})`)
    ],
    pods_terminated_twice: repeatedTerminates(facts),
    jobs_with_two_live_pods: overlappingPods(facts)
  }
  const passed = run.settled && Object.values(invariants).every((broken) => broken.length === 0)

  return {
    passed,
    settings: run.settings,
    wall_seconds: Math.round(run.wallSeconds),
    jobs: {
      submitted: run.submissions.length,
      rows: facts.jobs.length,
      rows_not_submitted_by_the_run: facts.jobs.filter((job) => !submittedIds.has(job.id)).map((job) => job.id),
      answered_as_duplicate: run.submissions.filter((submission) => submission.via === "duplicate").length,
      by_status: countBy(facts.jobs, (job) => job.status),
      failure_reasons: countBy(facts.jobs.filter((job) => job.status === "FAILED"), (job) => reasonCode(job.error_message)),
      /** Each job's fault (FAKE_POD_FAULT_SEED = the run's seed) and how the jobs that drew it ended. */
      by_drawn_fault: byDrawnFault(facts, run.settings.seed)
    },
    time_to_terminal_seconds: { p50: percentile(seconds, 50), max: percentile(seconds, 100) },
    pods: {
      ledger: {
        created: ledger["create"] ?? 0,
        create_refused: ledger["create-refused"] ?? 0,
        terminated: ledger["terminate"] ?? 0,
        terminate_of_a_gone_pod: ledger["terminate-missing"] ?? 0,
        terminate_refused: ledger["terminate-refused"] ?? 0
      },
      table: {
        rows: facts.pods.length,
        with_pod_id: facts.pods.filter((pod) => pod.pod_id !== null).length,
        terminated: facts.pods.filter((pod) => pod.terminated_at !== null).length,
        reaped: facts.pods.filter((pod) => (pod.termination_reason ?? "").startsWith("reaped:")).length,
        terminate_failed: facts.pods.filter((pod) => (pod.termination_reason ?? "").startsWith("terminate_failed")).length,
        termination_reasons: countBy(facts.pods.filter((pod) => pod.terminated_at !== null), (pod) => reasonCode(pod.termination_reason))
      },
      reaped_by_final_maintenance: reapedLine === null ? null : Number(reapedLine[1])
    },
    chaos: {
      runner_starts: run.events.filter((event) => event.kind === "runner-start").length,
      sigkills: run.events.filter((event) => event.kind === "sigkill").length,
      sigterms: run.events.filter((event) => event.kind === "sigterm").length,
      postgres_restarts: run.events.filter((event) => event.kind === "postgres-restart").length,
      unexpected_exits: run.events.filter((event) => event.kind === "unexpected-exit").map((event) => `${event.at}s ${event.detail}`)
    },
    invariants,
    maintenance: run.maintenance,
    events: run.events
  }
}

export type ChaosReport = ReturnType<typeof chaosReport>

const entries = (counts: Record<string, number>) =>
  Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([key, count]) => `${key} ${count}`).join(", ") || "-"

/** The table printed at the end of a run. */
export const renderChaosTable = (report: ChaosReport) => {
  const { jobs, pods, chaos, invariants } = report
  const line = (label: string, value: string | number) => `${label.padEnd(36)} ${value}`
  const check = (label: string, broken: ReadonlyArray<unknown>) => line(label, `${broken.length}${broken.length === 0 ? "  ok" : "  BROKEN"}`)
  const terminalStatuses = Object.fromEntries(Object.entries(jobs.by_status).filter(([status]) => terminal.has(status)))
  return [
    `chaos run: ${report.settings.jobs} jobs, ${report.settings.runners} runners, time scale ${report.settings.scale}, ` +
      `seed ${report.settings.seed}, object-store fault rate ${report.settings.storeFaultRate}`,
    line("wall time", `${report.wall_seconds} s`),
    line("jobs submitted / rows", `${jobs.submitted} / ${jobs.rows}`),
    line("jobs by terminal status", entries(terminalStatuses)),
    line("  failure reasons", entries(jobs.failure_reasons)),
    ...Object.entries(jobs.by_drawn_fault).sort(([a], [b]) => a.localeCompare(b)).map(([fault, ends]) => line(`  drew ${fault}`, entries(ends))),
    line("time to terminal p50 / max", `${report.time_to_terminal_seconds.p50 ?? "-"} s / ${report.time_to_terminal_seconds.max ?? "-"} s`),
    line("pods created (ledger / table)", `${pods.ledger.created} / ${pods.table.with_pod_id}`),
    line("pods terminated (ledger / table)", `${pods.ledger.terminated} / ${pods.table.terminated}`),
    line("pods reaped (table / final pass)", `${pods.table.reaped} / ${pods.reaped_by_final_maintenance ?? "?"}`),
    line("terminate calls refused (fault)", pods.ledger.terminate_refused),
    line("creates refused (stock-out faults)", pods.ledger.create_refused),
    line("chaos", `${chaos.sigkills} SIGKILL, ${chaos.sigterms} SIGTERM, ${chaos.postgres_restarts} Postgres restart, ${chaos.runner_starts} runner starts, ${chaos.unexpected_exits.length} unexpected exits`),
    check("jobs not submitted", invariants.jobs_not_submitted),
    check("jobs still live", invariants.jobs_still_live),
    check("jobs lost", invariants.jobs_lost),
    check("pods still live", invariants.pods_still_live),
    check("pods terminated more than once", invariants.pods_terminated_twice),
    ...(invariants.pods_terminated_twice.length === 0 ? [] : [line(
      "  calls after the row said terminated",
      invariants.pods_terminated_twice.filter((pod) => pod.calls.some((call) => call.endsWith("(row already terminated)"))).length
    )]),
    check("jobs with two live pods at once", invariants.jobs_with_two_live_pods),
    `RESULT: ${report.passed ? "PASS" : "FAIL"}`
  ].join("\n")
}
