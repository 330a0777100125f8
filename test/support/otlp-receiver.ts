/**
 * An OTLP/HTTP receiver for tests: a real HTTP server on 127.0.0.1 (a free port) accepting `POST /v1/traces` and
 * `POST /v1/metrics` in the JSON encoding (what `@opentelemetry/exporter-*-otlp-http` sends), keeping every span
 * and metric it receives. Closed when the scope closes.
 */
import { Effect } from "effect"
import { scopedLoopbackServer } from "./loopback-server.ts"

interface OtlpAttribute {
  readonly key: string
  readonly value: Record<string, unknown>
}

export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: Record<string, unknown>
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>
  readonly resource: Record<string, unknown>
}

interface ReceivedMetric {
  readonly name: string
  readonly dataPoints: ReadonlyArray<{ readonly attributes: Record<string, unknown>; readonly value: unknown }>
}

export interface OtlpReceiver {
  readonly endpoint: string
  readonly spans: Array<ReceivedSpan>
  readonly metrics: Array<ReceivedMetric>
  /** Every request body as received, to search for secrets. */
  readonly bodies: Array<string>
}

const valueOf = (value: Record<string, unknown>): unknown => {
  if ("stringValue" in value) return value["stringValue"]
  if ("intValue" in value) return Number(value["intValue"])
  if ("doubleValue" in value) return value["doubleValue"]
  if ("boolValue" in value) return value["boolValue"]
  if ("arrayValue" in value) {
    const values = (value["arrayValue"] as { values?: Array<Record<string, unknown>> }).values ?? []
    return values.map(valueOf)
  }
  return value
}

const attributesOf = (attributes: ReadonlyArray<OtlpAttribute> | undefined): Record<string, unknown> =>
  Object.fromEntries((attributes ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)]))

const collect = (receiver: OtlpReceiver, path: string, body: any) => {
  if (path === "/v1/traces") {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes)
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          receiver.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            links: (span.links ?? []).map((link: any) => ({ traceId: link.traceId, spanId: link.spanId })),
            resource
          })
        }
      }
    }
  } else if (path === "/v1/metrics") {
    for (const resourceMetrics of body.resourceMetrics ?? []) {
      for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
        for (const metric of scopeMetrics.metrics ?? []) {
          const data = metric.sum ?? metric.gauge ?? metric.histogram ?? {}
          receiver.metrics.push({
            name: metric.name,
            dataPoints: (data.dataPoints ?? []).map((point: any) => ({
              attributes: attributesOf(point.attributes),
              value: point.asInt ?? point.asDouble ?? point.sum ?? point.count
            }))
          })
        }
      }
    }
  }
}

export const scopedOtlpReceiver: Effect.Effect<OtlpReceiver, never, import("effect").Scope.Scope> = Effect.gen(
  function*() {
    const receiver: OtlpReceiver = { endpoint: "", spans: [], metrics: [], bodies: [] }
    const { url } = yield* scopedLoopbackServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        const path = (request.url ?? "").split("?")[0]!
        if (request.method !== "POST" || (path !== "/v1/traces" && path !== "/v1/metrics")) {
          response.writeHead(404).end()
          return
        }
        try {
          receiver.bodies.push(text)
          collect(receiver, path, JSON.parse(text))
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        } catch {
          response.writeHead(400).end()
        }
      })
    })
    return { ...receiver, endpoint: url }
  }
)
