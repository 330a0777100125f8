/**
 * What the CLI's standard output is: a terminal (the progress bar is redrawn in place, `list` fits its width) or a
 * pipe or file (plain lines, nothing redrawn), and whether colours are welcome (not with NO_COLOR, TERM=dumb or a
 * pipe; FORCE_COLOR forces them), as `effect/cli`'s `TerminalCapabilities` detects them.
 */
import { Effect } from "effect"
import { TerminalCapabilities } from "effect/cli"

export interface Terminal {
  /** Standard output is a terminal: lines may be redrawn. */
  readonly interactive: boolean
  readonly color: boolean
  /** The terminal's width in characters; undefined for a pipe (or a terminal that does not say). */
  readonly columns: number | undefined
}

export const currentTerminal: Effect.Effect<Terminal> = Effect.gen(function*() {
  const capabilities = yield* TerminalCapabilities.TerminalCapabilities
  const columns = yield* Effect.sync(() =>
    process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : undefined
  )
  return { interactive: capabilities.canAnimate, color: capabilities.canColor, columns }
})
