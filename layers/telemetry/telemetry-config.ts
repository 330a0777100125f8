/** The OTEL_*, LOG_FORMAT and LOG_LEVEL settings of the telemetry layers (`telemetry.ts`). */
import { Config, Option } from "effect"
import { boundedInt } from "../../src/config.ts"

/** OTLP/HTTP (JSON) export of traces and metrics; off when the endpoint is unset. */
export const TelemetryConfig = Config.all({
  /** OTEL_EXPORTER_OTLP_ENDPOINT, e.g. `http://127.0.0.1:4318`; `/v1/traces` and `/v1/metrics` are appended. */
  endpoint: Config.String("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(
    Config.map((url) => url.trim().replace(/\/+$/, "")),
    Config.option,
    Config.map(Option.filter((url) => url.length > 0))
  ),
  serviceName: Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("fishcloud")),
  /** OTEL_METRIC_EXPORT_INTERVAL: milliseconds between metric exports (and a final export on shutdown). */
  metricIntervalMs: boundedInt("OTEL_METRIC_EXPORT_INTERVAL", 100, 3_600_000, 60_000)
})

/** LOG_FORMAT: `pretty` (the default on a terminal) or `json` (one object a line; the default otherwise). */
export const LogFormat = Config.Literals(["pretty", "json"], "LOG_FORMAT").pipe(
  Config.withDefault(process.stdout.isTTY === true ? "pretty" as const : "json" as const)
)

/**
 * LOG_LEVEL: the least severe lines logged, `info` by default; `debug` adds a line per HTTP request (method, path
 * without its query, status).
 */
export const LogLevelSetting = Config.Literals(["debug", "info", "warn", "error"], "LOG_LEVEL").pipe(
  Config.withDefault("info" as const)
)
