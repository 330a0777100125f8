/**
 * How the CLI fails: every expected error becomes a `CliFailure`, which `Command.run` prints as one line on stderr
 * (through the formatter in `output.ts`) before the process exits non-zero. No stack traces for expected errors.
 */
import { type PlatformError, Schema } from "effect"
import { CliError } from "effect/cli"

export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String
}) {
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** Messages may come from a server or a library: keep them to one line. */
export const oneLine = (text: string): string =>
  text.trim().split(/\s*\n\s*/).reduce(
    (line, next) => line === "" ? next : `${line}${/[?:]$/.test(line) ? " " : "; "}${next}`,
    ""
  )

const fileProblem = (error: PlatformError.PlatformError): string => {
  const reason = error.reason
  if (reason._tag === "NotFound") return "no such file"
  if (reason._tag === "PermissionDenied") return "permission denied"
  return oneLine(reason.description ?? reason.message)
}

/** A file the user named could not be read: `cannot read <what> <path>: <why>`. */
export const unreadableFile = (what: string, path: string) => (error: PlatformError.PlatformError) =>
  new CliFailure({ message: `cannot read ${what} ${path}: ${fileProblem(error)}` })

/** An error's message with its causes', on one line (some library errors keep the reason only in `cause`). */
export const describeError = (error: Error): string => {
  const messages: Array<string> = []
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    const message = oneLine(current.message)
    if (message.length > 0 && !messages.some((seen) => seen.includes(message))) messages.push(message)
  }
  return messages.length === 0 ? error.name : messages.join(": ")
}
