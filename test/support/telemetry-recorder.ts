import { Cause, Effect, Exit, Logger, References, Tracer } from "effect"

/**
 * Records every log line (logfmt, with its cause) and every span (name, attributes, events, failure) of the
 * effects passed to `record`; `lines` fills while they run.
 */
export const telemetryRecorder = () => {
  const lines: Array<string> = []
  const spans: Array<Tracer.NativeSpan> = []
  const capture = Logger.make((options) => {
    lines.push(String(Logger.formatLogFmt.log(options)))
  })
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return {
    lines,
    spans,
    spanNames: () => spans.map((span) => span.name),
    /** Each span as text, to search for what must not be there. */
    spanText: () =>
      spans.map((span) =>
        JSON.stringify({
          name: span.name,
          attributes: [...span.attributes.entries()].map(([key, value]) => [key, String(value)]),
          events: span.events.map(([name, , attributes]) => [name, JSON.stringify(attributes)]),
          failure: span.status._tag === "Ended" && Exit.isFailure(span.status.exit) ? Cause.pretty(span.status.exit.cause) : ""
        })
      ),
    record: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.provideService(Logger.CurrentLoggers, new Set([capture])),
        Effect.provideService(References.MinimumLogLevel, "All"),
        Effect.withTracer(tracer)
      )
  }
}
