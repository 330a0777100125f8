/**
 * What `submit --wait` and `status --follow` draw, as pure functions of the events seen so far, so tests can
 * snapshot the frames: the round bar (`[████░░░░] round 7/15  1m 10s elapsed  ETA 1m 20s`) with its time measured
 * on the events' own timestamps (the server's clock, so a replayed history draws the same bar), and the bytes a
 * terminal gets so that the bar stays on the last line, redrawn in place, while the other lines scroll above it.
 * A pipe gets none of this: plain lines (`round 7/15`), one per event.
 */
import { readableSeconds } from "../domain/readable.ts"

/** A round seen at a time (epoch milliseconds, from the event). */
interface RoundSample {
  readonly round: number
  readonly atMs: number
}

/** What the bar needs to remember between events. */
export interface RunClock {
  /** When the job was seen moving to RUNNING (elapsed counts from there, else from the first round seen). */
  readonly runningAtMs: number | undefined
  /** The first round seen, the base of the observed round rate. */
  readonly first: RoundSample | undefined
}

export const emptyRunClock: RunClock = { runningAtMs: undefined, first: undefined }

/** The clock after a status change. */
export const observeStatus = (clock: RunClock, to: string, atMs: number): RunClock =>
  to === "RUNNING" ? { ...clock, runningAtMs: atMs } : clock

/** The clock after a round (the first one is the rate's base). */
export const observeRound = (clock: RunClock, sample: RoundSample): RunClock =>
  clock.first === undefined ? { ...clock, first: sample } : clock

/**
 * Seconds left at the rate observed since the first round seen: unknown until two samples a round or more apart
 * (the rate of a run just joined is not known yet), or when the round count is.
 */
export const etaSeconds = (clock: RunClock, now: RoundSample, maxRounds: number | null): number | undefined => {
  const first = clock.first
  if (first === undefined || maxRounds === null) return undefined
  const rounds = now.round - first.round
  const seconds = (now.atMs - first.atMs) / 1000
  if (rounds <= 0 || seconds <= 0) return undefined
  return Math.max(0, maxRounds - now.round) * (seconds / rounds)
}

const barWidth = 20

/** `[██████░░░░░░░░░░░░░░]`, filled in proportion of the rounds done. */
const bar = (round: number, maxRounds: number, width = barWidth): string => {
  const filled = Math.min(width, Math.max(0, Math.round((round / Math.max(1, maxRounds)) * width)))
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`
}

/** Cut to `columns - 1` characters (a line as wide as the terminal wraps, and `\r` no longer redraws it). */
export const fitWidth = (line: string, columns: number | undefined): string => {
  if (columns === undefined || columns < 2) return line
  const chars = Array.from(line)
  return chars.length < columns ? line : `${chars.slice(0, columns - 2).join("")}…`
}

/**
 * The terminal's progress line: `job 12: [████████░░░░░░░░░░░░] round 7/15  1m 10s elapsed  ETA 1m 20s`. Elapsed
 * counts from the RUNNING status when it was seen, else from the first round; the ETA from the observed round rate.
 */
export const progressBarLine = (
  jobId: number,
  now: RoundSample,
  maxRounds: number | null,
  clock: RunClock,
  columns: number | undefined
): string => {
  const since = clock.runningAtMs ?? clock.first?.atMs ?? now.atMs
  const eta = etaSeconds(clock, now, maxRounds)
  const parts = [
    maxRounds === null ? `round ${now.round}` : `${bar(now.round, maxRounds)} round ${now.round}/${maxRounds}`,
    `${readableSeconds((now.atMs - since) / 1000)} elapsed`,
    ...(maxRounds === null ? [] : [eta === undefined ? "ETA …" : `ETA ${readableSeconds(eta)}`])
  ]
  return fitWidth(`job ${jobId}: ${parts.join("  ")}`, columns)
}

/** The pipe's progress line: `job 12: round 7/15`. */
export const progressPlainLine = (jobId: number, round: number, maxRounds: number | null): string =>
  `job ${jobId}: round ${round}${maxRounds === null ? "" : `/${maxRounds}`}`

/**
 * One thing to print: a line that scrolls, or the progress line a terminal redraws in place. `settle` leaves the
 * bar shown as an ordinary line before this one (the run is over: its last state stays on screen).
 */
export interface Printed {
  readonly line: string
  readonly progress: boolean
  readonly settle?: boolean
}

const clearLine = "\r\u001b[2K"

/**
 * The bytes a terminal gets for `printed`, given the progress line it shows (if any), and the progress line shown
 * after them. The bar stays last: a scrolling line replaces it and the bar is drawn again below.
 */
export const terminalWrite = (
  shown: string | undefined,
  printed: Printed
): { readonly text: string; readonly shown: string | undefined } => {
  if (printed.progress) return { text: `${shown === undefined ? "" : clearLine}${printed.line}`, shown: printed.line }
  if (shown === undefined) return { text: `${printed.line}\n`, shown: undefined }
  if (printed.settle === true) return { text: `\n${printed.line}\n`, shown: undefined }
  return { text: `${clearLine}${printed.line}\n${shown}`, shown }
}

/** The bytes that end the output: the bar, when one is shown, becomes an ordinary line. */
export const terminalEnd = (shown: string | undefined): string => shown === undefined ? "" : "\n"
