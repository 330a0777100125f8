/**
 * Doctor check 7, the OTLP endpoint (when OTEL_EXPORTER_OTLP_ENDPOINT is set): an empty trace export, which a
 * collector accepts with 2xx and stores nothing for.
 */
import { Effect, Option } from "effect"
import { HttpClientRequest } from "effect/http"
import { TelemetryConfig } from "../../../layers/telemetry/telemetry-config.ts"
import type { Finding } from "../../config-checks.ts"
import { bounded, exchange, finding } from "./doctor-check.ts"

const check = "OTLP"

const fix = "start the collector (otel/README.md), correct OTEL_EXPORTER_OTLP_ENDPOINT, or unset it to turn telemetry off"

export const otlpCheck: Effect.Effect<ReadonlyArray<Finding>> = Effect.gen(function*() {
  const telemetry = yield* Effect.option(TelemetryConfig)
  if (Option.isNone(telemetry)) return [finding("error", check, "not checked: the telemetry settings do not parse")]
  const endpoint = telemetry.value.endpoint
  if (Option.isNone(endpoint)) return [finding("ok", check, "off (OTEL_EXPORTER_OTLP_ENDPOINT unset)")]
  const url = `${endpoint.value}/v1/traces`
  const emptyExport = HttpClientRequest.post(url).pipe(
    HttpClientRequest.bodyText(JSON.stringify({ resourceSpans: [] }), "application/json")
  )
  return yield* exchange(emptyExport).pipe(
    Effect.map((answer): ReadonlyArray<Finding> =>
      answer.status >= 200 && answer.status < 300
        ? [finding("ok", check, `${endpoint.value} accepts traces`)]
        : [finding("error", check, `${url} answered HTTP ${answer.status} to an empty export`, fix)]
    ),
    Effect.catch((why) => Effect.succeed([finding("error", check, `${endpoint.value} is unreachable: ${why}`, fix)]))
  )
}).pipe(bounded(check, fix))
