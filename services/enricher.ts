/** Seed enrichment: background research for a job's seed before any GPU work (xAI, or the offline stand-in). */
import { Context, type Effect, Schema } from "effect"
import { Citation } from "../src/domain/job.ts"
import type { LlmError } from "./llm-error.ts"

export const Enrichment = Schema.Struct({ summary: Schema.String, citations: Schema.Array(Citation) })
export type Enrichment = typeof Enrichment.Type

export class Enricher extends Context.Service<Enricher, {
  /** Background research for the seed, or none (no key, nothing found). Fail-soft callers treat errors as none. */
  readonly enrich: (input: { readonly seedText: string; readonly goal: string }) => Effect.Effect<Enrichment | undefined, LlmError>
}>()("fishcloud/services/Enricher") {}
