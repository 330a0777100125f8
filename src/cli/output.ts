/**
 * How the CLI prints its own errors: one line on stderr, `fishcloud: <message>`, both for failed commands and for
 * usage errors (which name the help to read instead of printing it). Help and version keep the default rendering.
 */
import { Console, Effect, Layer } from "effect"
import { CliOutput, TerminalCapabilities } from "effect/cli"
import { oneLine } from "./cli-errors.ts"

const line = (message: string) => `fishcloud: ${oneLine(message)}`

const FormatterLive = Layer.effect(
  CliOutput.Formatter,
  Effect.gen(function*() {
    const { canColor } = yield* TerminalCapabilities.TerminalCapabilities
    const base = CliOutput.defaultFormatter({ colors: canColor })
    return { ...base, formatError: (error) => line(error.message) }
  })
)

const PresenterLive = Layer.succeed(CliOutput.Presenter)({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
        line(`${event.errors.map((error) => error.message).join("; ")} (see: ${event.commandPath.join(" ")} --help)`)
      )
      : CliOutput.defaultPresenter.present(event)
})

export const OutputLive = Layer.mergeAll(FormatterLive, PresenterLive)
