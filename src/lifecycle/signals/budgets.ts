/**
 * The poll loop's hard limits: consecutive `/status` failures and the tier's whole-run timeout (`docs/lifecycle.md`,
 * "Polling the simulation").
 */
import type { PollThresholds } from "./thresholds.ts"
import { formatSeconds, markers, Verdict } from "./verdict.ts"

/**
 * `failures` consecutive failed `/status` reads, the last success (or the start) `unreachableForMs` ago.
 * A successful read resets the count (the caller's job, or `observeStatus`).
 */
export const unreachable = (
  failures: number,
  unreachableForMs: number,
  limits: PollThresholds
): Verdict | undefined =>
  failures < limits.maxConsecutiveFailures ? undefined : Verdict.Unreachable({
    message: `${markers.unreachable}: ${failures} consecutive /status poll failures (~${formatSeconds(unreachableForMs)}s)`
  })

/** The run started at `startedAtMs` and has had more than the tier's timeout. */
export const timedOut = (startedAtMs: number, nowMs: number, limits: PollThresholds): Verdict | undefined =>
  nowMs - startedAtMs <= limits.tierTimeoutMs ? undefined : Verdict.TimedOut({
    message: `Pipeline did not complete within ${formatSeconds(limits.tierTimeoutMs)}s`
  })

/** The worker said `failed`: the first line of its error, at most 200 characters. */
export const workerFailed = (error: string | undefined): Verdict => {
  const firstLine = (error ?? "").split("\n", 1)[0]!.trim().slice(0, 200)
  return Verdict.WorkerFailed({ message: `Worker pipeline failed: ${firstLine || "(no error given)"}` })
}
