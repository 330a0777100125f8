/**
 * The decisions of the status poll loop (`docs/lifecycle.md`, "Polling the simulation") as pure functions over
 * immutable state.
 * The caller does the I/O (GET /status, /logs, /partial_chat), reads the time from its Clock (epoch ms) and acts on
 * the returned step: write the stage or live status, stop with the verdict, or return the completed status.
 *
 * Order per poll: the status read (a failure counts and ends the poll), then the stuck watchdog, then on every
 * `logsEveryPolls`-th poll (the 1st, 3rd, ...) the logs: circuit breaker, stage, live status, slow pod. A `completed`
 * or `failed` status is decided before the watchdogs, so a finished run is never failed as stuck; the tier timeout
 * is checked here on every poll, not left to an outer timeout; a batch with no round or no meaningful line keeps the
 * last shown values.
 */
import type { StatusReply } from "../domain/pod-protocol.ts"
import type { PodProgress } from "../domain/pod-progress.ts"
import type { Tier } from "../domain/tier.ts"
import { type BreakerSample, circuitBreaker } from "./signals/circuit-breaker.ts"
import { type LiveStatus, liveStatus, liveStatusChanged } from "./signals/live-status.ts"
import { inferStage, roundsIn } from "./signals/log-lines.ts"
import { type RoundSample, slowPod, stuck } from "./signals/progress.ts"
import { timedOut, unreachable, workerFailed } from "./signals/budgets.ts"
import { type PollThresholds, pollThresholds } from "./signals/thresholds.ts"
import type { Verdict } from "./signals/verdict.ts"

export * from "./signals/budgets.ts"
export * from "./signals/circuit-breaker.ts"
export * from "./signals/live-status.ts"
export * from "./signals/log-lines.ts"
export * from "./signals/progress.ts"
export * from "./signals/thresholds.ts"
export * from "./signals/verdict.ts"

export interface PollState {
  readonly limits: PollThresholds
  readonly startedAtMs: number
  /** Polls so far, failed ones included. */
  readonly polls: number
  readonly consecutiveFailures: number
  /** The last successful status read, or the start. */
  readonly lastStatusOkAtMs: number
  readonly seenRunning: boolean
  /** The stage last reported through `stageChanged`. */
  readonly stage: number | undefined
  /** The highest round seen, 0 before any. */
  readonly maxRound: number
  /** When `maxRound` was first seen. */
  readonly lastProgressAtMs: number | undefined
  /** The job's configured round count, when the caller knows it. */
  readonly maxRounds: number | undefined
  readonly breaker: ReadonlyArray<BreakerSample>
  readonly rounds: ReadonlyArray<RoundSample>
  /** The live status last handed out for writing. */
  readonly live: LiveStatus | undefined
}

/**
 * `startedAtMs` starts the tier-timeout budget. `scale` is the lifecycle time scale (the `TimeScale` reference in
 * `src/domain/time-scale.ts`, which the caller reads): every duration threshold is multiplied by it, and slow-pod rates are measured
 * per scaled minute; it must be > 0. `maxRounds` is the job's configured round count, shown in the live status.
 */
export const initialPollState = (tier: Tier, startedAtMs: number, scale = 1, maxRounds?: number): PollState => ({
  limits: pollThresholds(tier, scale),
  startedAtMs,
  polls: 0,
  consecutiveFailures: 0,
  lastStatusOkAtMs: startedAtMs,
  seenRunning: false,
  stage: undefined,
  maxRound: 0,
  lastProgressAtMs: undefined,
  maxRounds,
  breaker: [],
  rounds: [],
  live: undefined
})

/**
 * A fresh state that goes on from a pod's saved progress (a step run again after a crash, a handover or a same-pod
 * retry): the tier's timeout counts from the run's start and the slow-pod rate is measured over the saved samples.
 * The stuck clock starts now: nobody watched the gap, so it does not count as a quiet spell.
 */
export const resumePollState = (fresh: PollState, saved: PodProgress): PollState => ({
  ...fresh,
  startedAtMs: saved.startedAtMs,
  maxRound: saved.maxRound,
  rounds: saved.rounds,
  lastProgressAtMs: saved.maxRound > 0 ? fresh.startedAtMs : undefined
})

/** What a state saves of a pod's progress. */
export const progressOf = (state: PollState): PodProgress => ({ startedAtMs: state.startedAtMs, maxRound: state.maxRound, rounds: state.rounds })

/** What the caller does after one observation. Fields are present only when they ask for something. */
export interface PollStep {
  readonly state: PollState
  /** Stop polling with this (retry the pod, swap it or fail the job: `recoveryOf`). Apply the writes below first. */
  readonly verdict?: Verdict
  /** The worker reported `completed`: stop and use the `/status` body as the result. */
  readonly completed?: true
  /** The first `running` status of this loop: move the job PROVISIONING -> RUNNING. */
  readonly firstRunning?: true
  /** Read `/logs` now and pass them to `observeLogs`. */
  readonly readLogs?: true
  /** The inferred pipeline stage changed: write it. */
  readonly stageChanged?: number
  /** The live status changed enough to be written. */
  readonly liveStatus?: LiveStatus
}

/** A `/status` read failed (network error, timeout, non-JSON body such as a proxy error page). */
export const observeStatusFailure = (state: PollState, nowMs: number): PollStep => {
  const next: PollState = { ...state, polls: state.polls + 1, consecutiveFailures: state.consecutiveFailures + 1 }
  const verdict = timedOut(state.startedAtMs, nowMs, state.limits) ??
    unreachable(next.consecutiveFailures, nowMs - state.lastStatusOkAtMs, state.limits)
  return verdict === undefined ? { state: next } : { state: next, verdict }
}

/** A `/status` read succeeded. */
export const observeStatus = (
  state: PollState,
  nowMs: number,
  status: Pick<StatusReply, "status" | "error">
): PollStep => {
  const next: PollState = {
    ...state,
    polls: state.polls + 1,
    consecutiveFailures: 0,
    lastStatusOkAtMs: nowMs,
    seenRunning: state.seenRunning || status.status === "running",
    // Back after failed reads: the pod went unwatched, so the stuck watchdog measures quiet from now, not across the gap.
    ...(state.consecutiveFailures > 0 && state.lastProgressAtMs !== undefined ? { lastProgressAtMs: nowMs } : {})
  }
  if (status.status === "completed") return { state: next, completed: true }
  if (status.status === "failed") return { state: next, verdict: workerFailed(status.error) }
  const verdict = timedOut(state.startedAtMs, nowMs, state.limits) ??
    stuck(nowMs, next.maxRound, next.lastProgressAtMs, state.limits)
  if (verdict !== undefined) return { state: next, verdict }
  return {
    state: next,
    ...(next.seenRunning && !state.seenRunning ? { firstRunning: true as const } : {}),
    ...((next.polls - 1) % state.limits.logsEveryPolls === 0 ? { readLogs: true as const } : {})
  }
}

/**
 * Whether to fetch `/partial_chat` for these lines before `observeLogs`: once the stage (this batch's, else the
 * last one) is at least 3, the simulation stage.
 */
export const wantsPartialChat = (state: PollState, lines: ReadonlyArray<string>): boolean =>
  (inferStage(lines) ?? state.stage ?? 0) >= 3

/**
 * A `/logs` batch read after `readLogs` (skip this call when the read failed). `recentPosts` is the partial chat tail
 * when `wantsPartialChat` said to fetch it (`[]` when that fetch failed).
 */
export const observeLogs = (
  state: PollState,
  nowMs: number,
  lines: ReadonlyArray<string>,
  recentPosts?: ReadonlyArray<unknown>
): PollStep => {
  const limits = state.limits
  const breaker = circuitBreaker(state.breaker, nowMs, lines, limits)
  if (breaker.verdict !== undefined) return { state: { ...state, breaker: breaker.samples }, verdict: breaker.verdict }

  const stage = inferStage(lines)
  const stageChanged = stage !== undefined && stage !== state.stage ? stage : undefined

  const live = liveStatus(lines, {
    nowMs,
    maxRounds: state.maxRounds,
    recentPosts,
    previous: state.live
  })
  const writeLive = liveStatusChanged(state.live, live)

  const round = roundsIn(lines).round
  const newMaximum = round !== undefined && round > state.maxRound
  const slow = newMaximum ? slowPod(state.rounds, nowMs, round, limits) : undefined

  const next: PollState = {
    ...state,
    breaker: breaker.samples,
    stage: stage ?? state.stage,
    live: writeLive ? live : state.live,
    ...(newMaximum ? { maxRound: round, lastProgressAtMs: nowMs, rounds: slow!.samples } : {})
  }
  return {
    state: next,
    ...(stageChanged !== undefined ? { stageChanged } : {}),
    ...(writeLive ? { liveStatus: live } : {}),
    ...(slow?.verdict !== undefined ? { verdict: slow.verdict } : {})
  }
}
