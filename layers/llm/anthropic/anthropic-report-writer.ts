/**
 * The `ReportWriter` with Anthropic's Messages API (`docs/lifecycle.md`, "The report"): a tool-use loop of at most 10
 * turns over the job's artifacts (tools in `anthropic-tools.ts`), the last turn sent without tools and asking for the
 * final report, whose markdown goes through the shared `readReport`, joined with the parts built from the artifacts
 * (`structured-result.ts`). The SDK never retries (`maxRetries: 0`): failures are classified (`anthropic-errors.ts`)
 * and the report workflow's back-off retries transient ones.
 *
 * Each API call is a span with the GenAI semantic conventions; token usage is summed over the turns, priced with
 * the estimates of `anthropic-pricing.ts`, recorded with the `LlmUsageRecorder` (also when a later turn fails: those
 * tokens were spent) and returned in `WrittenReport.usage`. The key is `Redacted` and only ever reaches the SDK.
 */
import Anthropic from "@anthropic-ai/sdk"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { LlmError } from "../../../services/llm-error.ts"
import { LlmUsageRecorder } from "../../../services/llm-usage-recorder.ts"
import { ReportWriter, type WrittenReport } from "../../../services/report-writer.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import type { JobId } from "../../../src/domain/ids.ts"
import { loadReportArtifacts } from "../report/report-artifacts.ts"
import { readReport } from "../report/parse-report.ts"
import { simulationParts } from "../report/structured-result.ts"
import { AnthropicConfig } from "./anthropic-config.ts"
import { classifyAnthropicError, scrubKey } from "./anthropic-errors.ts"
import { estimatedCostUsd } from "./anthropic-pricing.ts"
import { finalTurnMessage, openingMessage, systemPrompt } from "./anthropic-prompt.ts"
import { runTool, toolDefinitions } from "./anthropic-tools.ts"

/** Turns of the loop; the last one has no tools. */
export const maxTurns = 10

/** Per request, up to the response headers (the SDK's own default is 10 minutes). */
const defaultRequestTimeoutMs = 180_000

export interface AnthropicReportWriterOptions {
  /** Per-request timeout in milliseconds (tests shorten it). */
  readonly requestTimeoutMs?: number
}

const TextBlock = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })
const ToolUseBlock = Schema.Struct({ type: Schema.Literal("tool_use"), id: Schema.String, name: Schema.String, input: Schema.Unknown })
const OtherBlock = Schema.Struct({ type: Schema.String })
const isText = Schema.is(TextBlock)
const isToolUse = Schema.is(ToolUseBlock)

/** The parts of a Messages API response the writer uses; anything else in the body is ignored. */
const MessageResponse = Schema.Struct({
  id: Schema.optional(Schema.String),
  model: Schema.String,
  stop_reason: Schema.optional(Schema.NullOr(Schema.String)),
  content: Schema.Array(Schema.Union([TextBlock, ToolUseBlock, OtherBlock])),
  usage: Schema.Struct({ input_tokens: Schema.Number, output_tokens: Schema.Number })
})
type MessageResponse = typeof MessageResponse.Type

const brief = (message: string) => (message.length > 300 ? `${message.slice(0, 299)}…` : message)

/** The assistant turn as it is sent back: its text and tool calls (other block kinds are not echoed). */
const assistantContent = (response: MessageResponse): Array<Anthropic.Messages.ContentBlockParam> =>
  response.content.flatMap((block): Array<Anthropic.Messages.ContentBlockParam> =>
    isText(block)
      ? [{ type: "text", text: block.text }]
      : isToolUse(block)
      ? [{ type: "tool_use", id: block.id, name: block.name, input: block.input }]
      : []
  )

/** The last turn's instruction, in the pending user turn (after the tool results) or as a new one. */
const withFinalInstruction = (
  messages: ReadonlyArray<Anthropic.Messages.MessageParam>
): Array<Anthropic.Messages.MessageParam> => {
  const last = messages[messages.length - 1]
  const instruction: Anthropic.Messages.TextBlockParam = { type: "text", text: finalTurnMessage }
  if (last !== undefined && last.role === "user") {
    const content: Array<Anthropic.Messages.ContentBlockParam> = typeof last.content === "string"
      ? [{ type: "text", text: last.content }, instruction]
      : [...last.content, instruction]
    return [...messages.slice(0, -1), { role: "user", content }]
  }
  return [...messages, { role: "user", content: [instruction] }]
}

export const makeAnthropicReportWriter = (options: AnthropicReportWriterOptions = {}) =>
  Effect.gen(function*() {
    const anthropic = yield* AnthropicConfig
    const store = yield* ObjectStore
    const recorder = yield* LlmUsageRecorder
    const { model, maxTokens } = anthropic
    const timeout = options.requestTimeoutMs ?? defaultRequestTimeoutMs
    const apiKey = anthropic.apiKey
    const client = new Anthropic({
      apiKey: Redacted.value(apiKey),
      // Only our key: an ANTHROPIC_AUTH_TOKEN in the environment must not be sent alongside it.
      authToken: null,
      baseURL: Option.getOrUndefined(anthropic.baseUrl),
      maxRetries: 0,
      timeout,
      logLevel: "off"
    })

    /** One Messages API call, as a GenAI client span. */
    const chat = (
      client: Anthropic,
      apiKey: Redacted.Redacted<string>,
      params: Anthropic.Messages.MessageCreateParamsNonStreaming,
      turn: number
    ) =>
      Effect.tryPromise({
        try: (signal) => client.messages.create(params, { signal }),
        catch: (error) => classifyAnthropicError(error, apiKey)
      }).pipe(
        Effect.flatMap((raw) =>
          Schema.decodeUnknownEffect(MessageResponse)(raw).pipe(
            Effect.mapError((e) =>
              new LlmError({ kind: "permanent", message: scrubKey(brief(`anthropic: malformed response: ${e.message}`), apiKey) })
            )
          )
        ),
        Effect.tap((response) =>
          Effect.annotateCurrentSpan({
            "gen_ai.response.model": response.model,
            "gen_ai.response.id": response.id ?? "",
            "gen_ai.response.finish_reasons": [response.stop_reason ?? "unknown"],
            "gen_ai.usage.input_tokens": response.usage.input_tokens,
            "gen_ai.usage.output_tokens": response.usage.output_tokens
          })
        ),
        Effect.tapError((error) => Effect.annotateCurrentSpan({ "error.type": `anthropic_${error.kind}` })),
        Effect.withSpan(`chat ${model}`, {
          kind: "client",
          attributes: {
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": model,
            "gen_ai.request.max_tokens": maxTokens,
            "fishcloud.report.turn": turn
          }
        })
      )

    const write = Effect.fn("AnthropicReportWriter.write")(
      function*(input: { readonly jobId: JobId; readonly goal: string; readonly forecastDays: number }) {
        yield* Effect.annotateCurrentSpan({ "job.id": input.jobId, "gen_ai.request.model": model })
        const artifacts = yield* loadReportArtifacts(input.jobId)
        const system = systemPrompt({ goal: input.goal, forecastDays: input.forecastDays, artifacts })
        const usage = { inputTokens: 0, outputTokens: 0, model: model as string }
        const costOf = () => estimatedCostUsd(usage.model, usage.inputTokens, usage.outputTokens)
        const record = Effect.suspend(() =>
          usage.inputTokens + usage.outputTokens === 0 ? Effect.void : recorder.record({
            step: "report",
            provider: "anthropic",
            model: usage.model,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            costUsd: costOf()
          })
        )

        const loop = Effect.gen(function*() {
          let messages: Array<Anthropic.Messages.MessageParam> = [{ role: "user", content: openingMessage }]
          for (let turn = 1; turn <= maxTurns; turn++) {
            const last = turn === maxTurns
            if (last) messages = withFinalInstruction(messages)
            const response = yield* chat(
              client,
              apiKey,
              last
                ? { model, max_tokens: maxTokens, system, messages: [...messages] }
                : { model, max_tokens: maxTokens, system, messages: [...messages], tools: [...toolDefinitions] },
              turn
            )
            usage.inputTokens += response.usage.input_tokens
            usage.outputTokens += response.usage.output_tokens
            usage.model = response.model
            const toolUses = response.content.filter(isToolUse)
            yield* Effect.logDebug(
              `anthropic report turn ${turn}/${maxTurns} for job ${input.jobId}: stop ${response.stop_reason ?? "unknown"}, ` +
                `${response.usage.input_tokens} in / ${response.usage.output_tokens} out tokens` +
                (toolUses.length > 0 ? `, tools ${toolUses.map((u) => u.name).join(", ")}` : "")
            )
            if (last || toolUses.length === 0) {
              if (response.stop_reason === "max_tokens") {
                yield* Effect.logWarning(`anthropic report for job ${input.jobId} hit max_tokens (${maxTokens}); it may be cut short`)
              }
              return response.content.filter(isText).map((b) => b.text).join("\n").trim()
            }
            const results = yield* Effect.forEach(toolUses, (use) =>
              runTool(artifacts, use.name, use.input).pipe(
                Effect.map((content): Anthropic.Messages.ToolResultBlockParam => ({
                  type: "tool_result",
                  tool_use_id: use.id,
                  content
                })),
                Effect.catch((error) =>
                  Effect.logDebug(`anthropic report tool ${use.name} failed: ${error.message}`).pipe(
                    Effect.as<Anthropic.Messages.ToolResultBlockParam>({
                      type: "tool_result",
                      tool_use_id: use.id,
                      content: JSON.stringify({ error: error.message }),
                      is_error: true
                    })
                  )
                )
              ))
            messages = [...messages, { role: "assistant", content: assistantContent(response) }, { role: "user", content: results }]
          }
          return ""
        }).pipe(Effect.ensuring(record))

        const markdown = yield* loop
        if (markdown.length === 0) {
          return yield* new LlmError({ kind: "permanent", message: "anthropic: the model wrote no report" })
        }
        // The model writes the prose; the artifact-built parts come from the artifacts themselves.
        const report = readReport(markdown, simulationParts({ artifacts, forecastDays: input.forecastDays }))
        yield* Effect.logInfo(
          `anthropic report for job ${input.jobId}: ${markdown.length} characters, ${report.structured.findings.length} findings, ` +
            `${usage.inputTokens} in / ${usage.outputTokens} out tokens (~$${costOf().toFixed(4)})`
        )
        const written: WrittenReport = {
          ...report,
          usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: costOf() }
        }
        return written
      },
      Effect.provideService(ObjectStore, store)
    )
    return ReportWriter.of({ write })
  })

/**
 * The Anthropic `ReportWriter` on the ANTHROPIC_* settings (`anthropic-config.ts`); requires ObjectStore. The
 * composition root picks it when ANTHROPIC_API_KEY is set.
 */
export const AnthropicReportWriterLive = Layer.effect(ReportWriter, makeAnthropicReportWriter())
