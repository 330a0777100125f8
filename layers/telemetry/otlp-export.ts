/** The OpenTelemetry SDK exporting over OTLP/HTTP: loaded by `telemetry.ts` only when an endpoint is set. */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { version } from "../../src/version.ts"

export const otlpExport = (options: {
  readonly endpoint: string
  readonly serviceName: string
  readonly metricIntervalMs: number
  readonly role: string
}) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: options.serviceName, serviceVersion: version, attributes: { "fishcloud.role": options.role } },
    spanProcessor: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint}/v1/traces` }))],
    metricReader: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${options.endpoint}/v1/metrics` }),
      exportIntervalMillis: options.metricIntervalMs,
      exportTimeoutMillis: Math.min(30_000, options.metricIntervalMs)
    }),
    shutdownTimeout: "5 seconds"
  }))
