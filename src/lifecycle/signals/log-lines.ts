/** What a batch of worker log lines says: a fatal vLLM start failure, the pipeline stage, the round reached. */

/** vLLM start failures no waiting will fix (`docs/lifecycle.md`, "Worker health"). */
const fatalVllmMarkers = [
  "CUDA driver initialization failed",
  "Engine core initialization failed",
  "no CUDA-capable device",
  "Failed to initialize NCCL"
] as const
export type FatalVllmMarker = (typeof fatalVllmMarkers)[number]

/** The first terminal vLLM marker in the lines, in line order; undefined when vLLM may still come up. */
export const fatalVllmMarker = (lines: ReadonlyArray<string>): FatalVllmMarker | undefined => {
  for (const line of lines) {
    const hit = fatalVllmMarkers.find((marker) => line.includes(marker))
    if (hit !== undefined) return hit
  }
  return undefined
}

/**
 * Pipeline stages as stored in `pipeline_stage`; later stages are checked first (`docs/lifecycle.md`, "Polling the
 * simulation").
 */
const stageRules: ReadonlyArray<readonly [stage: number, matches: (line: string) => boolean]> = [
  [5, (line) => /report/i.test(line)],
  [4, (line) => line.includes("preparing")],
  [3, (line) => line.includes("Running simulation") || line.includes("round=")],
  [2, (line) => line.includes("Building")],
  [1, (line) => line.includes("Generating ontology")]
]

/** The latest pipeline stage this batch shows, or undefined when it shows none. */
export const inferStage = (lines: ReadonlyArray<string>): number | undefined =>
  stageRules.find(([, matches]) => lines.some(matches))?.[0]

const roundPattern = /\bround[=\s]+(\d+)(?:\s*\/\s*(\d+))?/gi

export interface RoundsSeen {
  /** The highest round number in the batch (`round=12/15`, `Round 7`, `round 3`). */
  readonly round: number | undefined
  /** The highest total in `round=N/T`, when the batch has one. */
  readonly total: number | undefined
}

export const roundsIn = (lines: ReadonlyArray<string>): RoundsSeen => {
  let round: number | undefined
  let total: number | undefined
  for (const line of lines) {
    for (const match of line.matchAll(roundPattern)) {
      const n = Number(match[1])
      round = round === undefined ? n : Math.max(round, n)
      if (match[2] !== undefined) {
        const t = Number(match[2])
        total = total === undefined ? t : Math.max(total, t)
      }
    }
  }
  return { round, total }
}
