/**
 * Pre-GPU steps: seed enrichment and market derivation. Both are fail-soft (an LLM that fails or times out means
 * "no enrichment" / "no markets"), with a timeout per attempt and two attempts. Only unexpected failures (the
 * database) fail the activity, and so the job, before any pod is requested.
 */
import { Duration, Effect, Schedule, Schema } from "effect"
import { activity } from "./activity.ts"
import { step } from "../step.ts"
import { Enricher } from "../../../services/enricher.ts"
import { CurrentJob } from "../../../services/llm-usage-recorder.ts"
import { MarketDeriver } from "../../../services/market-deriver.ts"
import type { JobId } from "../../domain/ids.ts"
import type { Tier } from "../../domain/tier.ts"
import { scaled } from "../../domain/time-scale.ts"
import { retryWhileDatabaseAway } from "../database-away.ts"
import { policies } from "../policies.ts"
import { ensureLive, JobStopped } from "./stop.ts"
import { JobJournal } from "../../../services/job-journal.ts"

/**
 * The LLM call under the pre-GPU policy: a timeout per attempt, two attempts, then `undefined`. It is raced
 * against the job's status, so a cancel stops a slow call within one poll interval.
 */
const failSoft = <A, E, R>(jobId: JobId, what: string, call: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const timeout = Duration.max(yield* scaled(policies.preGpu.timeout), policies.callTimeoutFloor)
    const every = yield* scaled(policies.poll.every)
    const attempt = call.pipe(
      Effect.timeout(timeout),
      Effect.retry({ times: policies.preGpu.attempts - 1 }),
      Effect.map((value): A | undefined => value),
      Effect.catch((error) => Effect.as(Effect.logWarning(`${what} failed; continuing without it`, error), undefined))
    )
    const stopped = ensureLive(jobId).pipe(Effect.repeat(Schedule.spaced(every)), Effect.andThen(Effect.never))
    return yield* Effect.raceFirst(attempt, stopped)
  })

export const enrichSeed = (jobId: JobId, goal: string) =>
  activity({
    name: "enrich-seed",
    success: Schema.Boolean,
    error: JobStopped,
    execute: Effect.gen(function*() {
      const enricher = yield* Enricher
      const journal = yield* JobJournal
      const seedText = yield* journal.simulationSeed(jobId)
      const enrichment = yield* failSoft(jobId, "enrichment", enricher.enrich({ seedText, goal }).pipe(Effect.provideService(CurrentJob, jobId)))
      if (enrichment === undefined || enrichment.summary.trim() === "") return false
      // Saved through a database outage in place: the step run again would pay for the LLM call twice.
      yield* retryWhileDatabaseAway(journal.saveEnrichment(jobId, enrichment.summary, enrichment.citations))
      return true
    }).pipe(step("enrichSeed", { "job.id": jobId }))
  })

export const deriveMarkets = (jobId: JobId, goal: string, tier: Tier) =>
  activity({
    name: "derive-markets",
    success: Schema.Int,
    error: JobStopped,
    execute: Effect.gen(function*() {
      const deriver = yield* MarketDeriver
      const journal = yield* JobJournal
      const seedText = yield* journal.simulationSeed(jobId)
      const markets = (yield* failSoft(jobId, "market derivation", deriver.derive({ goal, seedText, tier }).pipe(Effect.provideService(CurrentJob, jobId)))) ?? []
      yield* retryWhileDatabaseAway(journal.saveMarkets(jobId, markets))
      return markets.length
    }).pipe(step("deriveMarkets", { "job.id": jobId, "job.tier": tier }))
  })
