/**
 * Every number of the job lifecycle, in one place. Durations are multiplied by the time scale
 * (`FISHCLOUD_TIME_SCALE`, `src/domain/time-scale.ts`), so a rehearsal that takes an hour at scale 1 takes seconds
 * at 0.001. The RunPod API's own numbers live beside its client (`layers/pods/runpod/runpod-policy.ts`).
 */
import { Duration } from "effect"
import type { Tier } from "../domain/tier.ts"

const s = Duration.seconds

export const policies = {
  /** Enrichment and market derivation: each gets this long per attempt, and two attempts. */
  preGpu: { timeout: s(180), attempts: 2 },
  /** Pod readiness after create: poll the provider this often, give up (and terminate the pod) after this long. */
  readiness: { every: s(5), timeout: s(600) },
  /**
   * A total stock-out (no GPU candidate had capacity) or a pod that never became ready: a new pod (a new name) is
   * provisioned this many more times, this far apart; then the job fails `no_gpu_capacity` / `pod_not_ready`.
   */
  provisionRetry: { retries: 3, after: s(30) },
  /**
   * Creates and terminates in flight at once at the pod provider, per process (`./bounded-provider.ts`): thousands
   * of jobs provisioning at once queue for these instead of flooding the provider's API and its rate limit.
   */
  providerCalls: 16,
  /** Transient provider errors while creating: retried with capped back-off. */
  providerRetry: { base: s(2), cap: s(30), attempts: 5 },
  /** Terminating a pod: retried like this; "not found" counts as done. */
  terminateRetry: { base: s(1), cap: s(10), attempts: 5 },
  /** Worker health: `GET /health` this often until 200, for at most this long; scan `/logs` every Nth poll. */
  health: { every: s(5), timeout: s(900), logScanEveryPolls: 6 },
  /** A failed health phase swaps the pod once; a second bad host fails the job. */
  badHostSwaps: 1,
  /** Circuit-breaker or slow-pod trips swap the pod once (a budget separate from bad hosts). */
  degradedPodSwaps: 1,
  /**
   * Status polling while the simulation runs; the process's run watcher (`./run-watcher.ts`) has at most
   * `concurrency` polls in flight at once (thousands of runs come due in a poll interval).
   */
  poll: { every: s(10), logsEveryPolls: 2, logTail: 20, partialChatTail: 10, maxConsecutiveFailures: 30, concurrency: 64 },
  /**
   * A pod's run progress (`src/domain/pod-progress.ts`) is saved at a new round at most this often: a re-run loses at
   * most this much of the slow-pod samples, and a job does not write its pod's row every round.
   */
  progressSaveEvery: s(60),
  /**
   * A call to a pod's worker or to an LLM is never given less than this, whatever the time scale: a rehearsal at
   * FISHCLOUD_TIME_SCALE=0.001 would otherwise time out calls that take milliseconds (not scaled).
   */
  callTimeoutFloor: s(5),
  /**
   * The run watcher (`./run-watcher.ts`) reads the watched runs once per poll interval, but never more often than
   * this, whatever the time scale: at FISHCLOUD_TIME_SCALE=0.001 it would otherwise query 100 times a second.
   */
  runsReadFloor: Duration.millis(200),
  /**
   * The whole rows of runs the watcher starts watching (after a restart or a handover: thousands at once) are read in
   * statements of at most this many.
   */
  runsPerRead: 1000,
  /**
   * The run watcher compares the shards its runner holds this often (a few hundred lookups, real time): a runner that
   * gains shards (at start, taking over from a crashed one) polls their runs within it, not a poll interval later.
   */
  shardsCheckEvery: s(1),
  /** After `pod_unreachable`, wait and poll the SAME pod again, at most this many times. */
  unreachable: { retryAfter: s(30), retries: 2 },
  circuitBreaker: { window: s(60), minLines: 10, errorRatio: 0.7 },
  slowPod: { window: s(1200), minRoundDelta: 4, minRoundsPerMinute: { small: 0.3, medium: 0.3, large: 0.4 } as Record<Tier, number> },
  /** No new round for this long fails the job. */
  stuckAfter: { small: s(300), medium: s(600), large: s(900) } as Record<Tier, Duration.Duration>,
  /**
   * The stuck watchdog never judges on less than this much real time, whatever the time scale: what it watches
   * arrives through polls, log reads and a busy event loop, whose delays do not scale (at FISHCLOUD_TIME_SCALE=0.001 a
   * small job's 0.3 s threshold failed a healthy job on a loaded machine).
   */
  stuckAfterFloor: s(2),
  /** The whole simulation may take this long. */
  tierTimeout: { small: s(2700), medium: s(18000), large: s(43200) } as Record<Tier, Duration.Duration>,
  /** Presigned upload URLs outlive the longest run of the tier by this much. */
  uploadUrlGrace: s(3600),
  /**
   * Database and object-store writes that end a step (saving the report, checking the artifacts, marking a job
   * FAILED): retried like this; past it the step fails (and the stale-job detector is the backstop).
   */
  persistRetry: { base: s(1), cap: s(15), attempts: 8 },
  /**
   * A database that does not answer (a Postgres restart, a failover): every lifecycle step, and the workflow's own
   * bookkeeping, is tried again like this (about 100 s in all) before the job fails `internal_error`. Wall-clock
   * time, NOT scaled: a restart takes as long in a rehearsal as in production.
   */
  databaseAway: { base: s(1), cap: s(10), attempts: 12 },
  /** Transient report failures are retried after these delays, then the job fails. */
  reportBackoff: [s(30), s(120), s(300), s(900), s(1800)],
  /**
   * Maintenance (`src/lifecycle/maintenance/`): the orphan-pod reaper leaves a pod alone until it is this old (its
   * row's request time): 10 minutes when its job is live (a superseded pod may still be on its way down), 2 when
   * its job is terminal or gone. The stale-job detector gives each live status this long (RUNNING: the tier's
   * timeout plus `runningGrace`) before it fails a job no execution runs for. The orphan-artifact sweep removes at
   * most `artifactSweep.jobsPerPass` deleted jobs' folders a pass (about 400 store requests on S3: a listing and a
   * bulk delete each), asking the database about `artifactSweep.idsPerQuery` ids at a time.
   */
  maintenance: {
    reaperGrace: s(600),
    reaperGraceTerminal: s(120),
    staleAfter: { PENDING: s(900), PROVISIONING: s(2700), REPORTING: s(10800) },
    runningGrace: s(1800),
    artifactSweep: { jobsPerPass: 200, idsPerQuery: 1000 }
  }
} as const
