/**
 * Telemetry for every role of `fishcloud serve`, from the OTEL_* and LOG_FORMAT settings (`telemetry-config.ts`):
 *
 * - traces and metrics over OTLP/HTTP (JSON encoding) with `@effect/opentelemetry` NodeSdk when
 *   OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing at all (Effect's native no-op tracer) when it is not. The resource
 *   carries `service.name` (OTEL_SERVICE_NAME, default `fishcloud`), `service.version` and `fishcloud.role`.
 *   Spans are batched and flushed, and metrics exported one last time, when the service shuts down.
 * - logs: LOG_FORMAT=json writes one JSON object a line with `trace_id`, `span_id` and `job_id` (from the
 *   `job_id` log annotation the workflows and `src/lifecycle/job-log.ts` set); `pretty` keeps Effect's human output.
 *   Both explain the cluster's start-up warning `No healthy runners available` (`explainClusterStart`).
 */
import { Config, Context, Effect, Formatter, Layer, Logger, LogLevel, Option, References, Tracer } from "effect"
import { LogFormat, LogLevelSetting, TelemetryConfig } from "./telemetry-config.ts"

/**
 * Traces and metrics to `OTEL_EXPORTER_OTLP_ENDPOINT` for a process of the given role; empty when it is unset. The
 * OpenTelemetry SDK (about 25 MB of a process's memory) is loaded only then (`otlp-export.ts`).
 */
export const TelemetryLive = (role: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const telemetry = yield* TelemetryConfig
    if (Option.isNone(telemetry.endpoint)) return Layer.empty
    const { otlpExport } = yield* Effect.promise(() => import("./otlp-export.ts"))
    return otlpExport({ ...telemetry, endpoint: telemetry.endpoint.value, role })
  }))

/** One JSON object a line: Effect's structured fields plus `trace_id`, `span_id` and `job_id` when known. */
const jsonLogger = Logger.withConsoleLog(Logger.make((options) => {
  const structured = Logger.formatStructured.log(options)
  const span = Context.getOrUndefined(options.fiber.context, Tracer.ParentSpan)
  const jobId = structured.annotations["job_id"]
  return Formatter.formatJson({
    ...structured,
    ...(jobId === undefined ? {} : { job_id: jobId }),
    ...(span === undefined ? {} : { trace_id: span.traceId, span_id: span.spanId })
  })
}))

/** What `effect/cluster`'s Sharding logs at WARN when its runner list holds no healthy runner. */
const noHealthyRunners = "No healthy runners available"

const clusterStartExplained =
  "no runner is marked healthy, so this runner marks itself healthy and goes on (effect/cluster's \"No healthy runners " +
  "available\": expected at start, before the first health check; later, the runners' health checks went unanswered, " +
  "e.g. under heavy load)"

/**
 * The cluster's Sharding logs `No healthy runners available` at WARN whenever its list of runners holds no healthy one,
 * and then marks its own runner healthy. A single runner (role `all`, or the first runner of a cluster) meets that at
 * start, before its first health check, and whenever its own health check goes unanswered (a busy machine); the
 * runner logging it is up and carries on, so the warning cries wolf: it is logged at INFO with what it means instead
 * (and dropped when LOG_LEVEL is above INFO). Every other line passes unchanged.
 */
const explainClusterStart = <Output>(logger: Logger.Logger<unknown, Output>): Logger.Logger<unknown, Output | void> =>
  Logger.make((options) => {
    const message = options.message
    const isNoHealthyRunners = Array.isArray(message) ? message[0] === noHealthyRunners : message === noHealthyRunners
    if (!isNoHealthyRunners || options.logLevel !== "Warn") return logger.log(options)
    if (LogLevel.isGreaterThan(options.fiber.getRef(References.MinimumLogLevel), "Info")) return
    return logger.log({ ...options, logLevel: "Info", message: [clusterStartExplained] })
  })

const minimumLevel: Record<Config.Success<typeof LogLevelSetting>, LogLevel.LogLevel> = {
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  error: "Error"
}

/** The logger LOG_FORMAT selects (JSON lines, or Effect's default human output), logging from LOG_LEVEL up. */
export const LoggerLive = Layer.unwrap(Effect.map(Config.all({ format: LogFormat, level: LogLevelSetting }), ({ format, level }) =>
  Layer.merge(
    Logger.layer(format === "json" ? [explainClusterStart(jsonLogger)] : [explainClusterStart(Logger.defaultLogger), Logger.tracerLogger]),
    Layer.succeed(References.MinimumLogLevel, minimumLevel[level])
  )))
