/**
 * Doctor check 1, the settings: the service's (`src/config.ts`), and the slices the configuration selects, as the
 * service would read them at start (RunPod's with POD_PROVIDER=runpod, S3's with OBJECT_STORE=s3, xAI's and
 * Anthropic's when their keys are set, telemetry's and alerts' always), then the rehearsal contradictions.
 */
import { type Config, Effect, Option } from "effect"
import { AlertsConfig } from "../../../layers/alerts/alerts-config.ts"
import { anthropicApiKey, AnthropicConfig } from "../../../layers/llm/anthropic/anthropic-config.ts"
import { XaiConfig, xaiApiKey } from "../../../layers/llm/xai/xai-config.ts"
import { parseFaults } from "../../../layers/pods/fake/fake-faults.ts"
import { RunPodConfig } from "../../../layers/pods/runpod/runpod-config.ts"
import { S3Config } from "../../../layers/storage/s3/s3-config.ts"
import { LogFormat, LogLevelSetting, TelemetryConfig } from "../../../layers/telemetry/telemetry-config.ts"
import { type Finding, rehearsalFindings } from "../../config-checks.ts"
import { type ServiceConfig, ServiceConfig as ServiceSettings } from "../../config.ts"
import { oneLine } from "../cli-errors.ts"

const check = "settings"

const readmeFix = "correct the variable the message names (README.md, Configuration, lists every setting)"

const refused = (what: string) => (error: Config.ConfigError): Finding => ({
  severity: "error",
  check,
  message: `${what}: ${oneLine(error.message)}`,
  fix: readmeFix
})

/** The service settings when they parse, and what was found. */
export const settingsCheck: Effect.Effect<{
  readonly settings: Option.Option<ServiceConfig>
  readonly findings: ReadonlyArray<Finding>
}> = Effect.gen(function*() {
  const parsed = yield* Effect.result(ServiceSettings)
  if (parsed._tag === "Failure") return { settings: Option.none(), findings: [refused("the service settings do not parse")(parsed.failure)] }
  const settings = parsed.success
  const xai = yield* Effect.option(xaiApiKey)
  const anthropic = yield* Effect.option(anthropicApiKey)
  const slices: Array<readonly [string, Effect.Effect<unknown, Config.ConfigError>]> = [
    ["the telemetry settings (OTEL_*, LOG_*)", Effect.all([TelemetryConfig, LogFormat, LogLevelSetting])],
    ["the alert settings (ALERT_*)", AlertsConfig]
  ]
  if (settings.podProvider === "runpod") slices.push(["the RunPod settings (POD_PROVIDER=runpod)", RunPodConfig])
  if (settings.objectStore === "s3") slices.push(["the S3 settings (OBJECT_STORE=s3)", S3Config])
  if (Option.isNone(xai) || Option.isSome(xai.value)) slices.push(["the xAI settings (XAI_*)", Option.isNone(xai) ? xaiApiKey : XaiConfig])
  if (Option.isNone(anthropic) || Option.isSome(anthropic.value)) {
    slices.push(["the Anthropic settings (ANTHROPIC_*)", Option.isNone(anthropic) ? anthropicApiKey : AnthropicConfig])
  }
  const findings: Array<Finding> = []
  for (const [what, slice] of slices) {
    const result = yield* Effect.result(slice)
    if (result._tag === "Failure") findings.push(refused(`${what} do not parse`)(result.failure))
  }
  if (settings.podProvider === "fake") {
    const faults = yield* Effect.result(parseFaults(settings.fakePodFaults))
    if (faults._tag === "Failure") {
      findings.push({
        severity: "error",
        check,
        message: `FAKE_POD_FAULTS: ${oneLine(faults.failure.message)}`,
        fix: "list faults of layers/pods/fake/fake-faults.ts, separated by commas"
      })
    }
  }
  if (settings.podProvider === "runpod") {
    const runpod = yield* Effect.option(RunPodConfig)
    if (Option.isSome(runpod) && Option.isNone(runpod.value.apiKey)) {
      findings.push({
        severity: "error",
        check,
        message: "POD_PROVIDER=runpod but RUNPOD_API_KEY is not set: the service would refuse to start",
        fix: "set RUNPOD_API_KEY to a RunPod API key"
      })
    }
  }
  if (findings.length === 0) {
    const llms = [
      Option.isSome(xai) && Option.isSome(xai.value) ? "xAI" : undefined,
      Option.isSome(anthropic) && Option.isSome(anthropic.value) ? "Anthropic" : undefined
    ].filter((name) => name !== undefined)
    findings.push({
      severity: "ok",
      check,
      message: `they parse: POD_PROVIDER=${settings.podProvider}, OBJECT_STORE=${settings.objectStore}, ` +
        `LLM steps ${llms.length === 0 ? "offline" : `on ${llms.join(" and ")}`}`
    })
  }
  return { settings: Option.some(settings), findings: [...findings, ...rehearsalFindings(settings)] }
})
