/** Where LLM calls' usage goes: tokens and estimated cost, per job. */
import { Context, type Effect } from "effect"
import type { JobId } from "../src/domain/ids.ts"

/** One LLM call's usage, as the provider reported it, with its estimated cost. */
export interface LlmUsage {
  /** `enrichment`, `markets`, `report`. */
  readonly step: string
  readonly provider: string
  readonly model: string
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** The job the current LLM calls are made for; set by the lifecycle activities. */
export const CurrentJob = Context.Reference<JobId | undefined>("fishcloud/services/CurrentJob", { defaultValue: () => undefined })

/**
 * Where the LLM layers that call a provider report each call's usage (tokens and estimated cost, per job): a
 * required dependency of those layers, so usage can never be dropped silently. Offline layers make no calls.
 */
export class LlmUsageRecorder extends Context.Service<LlmUsageRecorder, {
  readonly record: (usage: LlmUsage) => Effect.Effect<void>
}>()("fishcloud/services/LlmUsageRecorder") {}
