/**
 * The `live_status` a user sees while the simulation runs (`docs/lifecycle.md`, "Polling the simulation"), and when it
 * is worth writing.
 */
import type { Progress } from "../../domain/job-event.ts"
import { roundsIn } from "./log-lines.ts"

/** The `progress` event's data (`src/domain/job-event.ts`); `recent_posts` is fetched once the stage is >= 3. */
export type LiveStatus = Progress

const httpNoise = ["GET /", "POST /", "HEAD /", "OPTIONS /"]
const shownLines = 3
const minLineLength = 10

/** Lines worth showing: non-blank, at least 10 characters once trimmed, not an HTTP access-log line. */
const meaningfulLine = (line: string): boolean =>
  line.trim().length >= minLineLength && !httpNoise.some((noise) => line.includes(noise))

export interface LiveStatusInput {
  readonly nowMs: number
  /** The job's configured round count; without it the total from `round=N/T` is used. */
  readonly maxRounds?: number | undefined
  readonly recentPosts?: ReadonlyArray<unknown> | undefined
  /** The last written status: a batch with no round or no meaningful line keeps its values instead of blanking them. */
  readonly previous?: LiveStatus | undefined
}

export const liveStatus = (lines: ReadonlyArray<string>, input: LiveStatusInput): LiveStatus => {
  const seen = roundsIn(lines)
  const shown = lines.filter(meaningfulLine).slice(-shownLines).map((line) => line.trim())
  const previous = input.previous
  return {
    round: seen.round ?? previous?.round ?? null,
    max_rounds: input.maxRounds ?? seen.total ?? previous?.max_rounds ?? null,
    log_lines: shown.length > 0 ? shown : previous?.log_lines ?? [],
    recent_posts: input.recentPosts ?? [],
    updated_at: Math.floor(input.nowMs / 1000)
  }
}

/** Worth a database write: nothing written yet, or the round, the shown lines or the number of posts changed. */
export const liveStatusChanged = (previous: LiveStatus | undefined, next: LiveStatus): boolean =>
  previous === undefined ||
  previous.round !== next.round ||
  previous.recent_posts.length !== next.recent_posts.length ||
  previous.log_lines.length !== next.log_lines.length ||
  previous.log_lines.some((line, i) => line !== next.log_lines[i])
