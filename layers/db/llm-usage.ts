/** `LlmUsageRecorder` on Postgres: one `llm_usage` row per call, summed onto the job. Never fails the job. */
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { countLlmTokens } from "../../src/metrics.ts"
import { CurrentJob, LlmUsageRecorder } from "../../services/llm-usage-recorder.ts"

export const LlmUsageRecorderLive = Layer.effect(
  LlmUsageRecorder,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return LlmUsageRecorder.of({
      record: Effect.fn("LlmUsage.record")(function*(usage) {
        const jobId = yield* CurrentJob
        if (jobId === undefined) return
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO llm_usage (job_id, step, provider, model, input_tokens, output_tokens, cost_usd)
            VALUES (${jobId}, ${usage.step}, ${usage.provider}, ${usage.model}, ${usage.inputTokens}, ${usage.outputTokens}, ${usage.costUsd})`
          yield* sql`UPDATE simulation_jobs SET llm_input_tokens = llm_input_tokens + ${usage.inputTokens},
            llm_output_tokens = llm_output_tokens + ${usage.outputTokens}, llm_cost_usd = llm_cost_usd + ${usage.costUsd}
            WHERE id = ${jobId}`
        })).pipe(Effect.catch((error) => Effect.logWarning("could not record LLM usage", error)))
        yield* countLlmTokens(usage)
      })
    })
  })
)
