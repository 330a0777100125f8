/**
 * `RateLimits` on Postgres: one upsert per request on `rate_limit_counters`, one row per (key, bucket) whose fixed
 * one-minute window restarts in place, so the table grows with callers, not with time. The token is looked up in
 * the same statement: a known, unexpired token counts under `t:<token id>`, anything else under `a:<address>`.
 * Rows of callers quiet for a while (every address ever seen would stay) are deleted every `pruneEvery`.
 */
import { Effect, Layer, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { RateBucket, type RateCount, RateLimits } from "../../services/rate-limits.ts"
import { errorsAreDefects } from "./sql-defect.ts"

const decodeCounts = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({
  bucket: RateBucket,
  count: Schema.Int,
  reset_seconds: Schema.Int
})))

const pruneEvery = "10 minutes"

export const RateLimitsLive = Layer.effect(
  RateLimits,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // A row whose window ended minutes ago counts nothing: the next request of its caller starts at 1 either way.
    yield* sql`DELETE FROM rate_limit_counters WHERE window_start < now() - interval '2 minutes'`.pipe(
      Effect.catch((error) => Effect.logWarning("could not prune old rate limit counters", error)),
      Effect.repeat(Schedule.spaced(pruneEvery)),
      Effect.delay(pruneEvery),
      Effect.forkScoped
    )
    return RateLimits.of({
      count: Effect.fn("RateLimits.count")(function*(request) {
        const rows = yield* sql`WITH caller AS (
            SELECT COALESCE(
              (SELECT 't:' || id FROM api_tokens WHERE token_sha256 = ${request.tokenSha256 ?? null}
                AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1),
              ${`a:${request.address}`}) AS key
          ), counted AS (
            INSERT INTO rate_limit_counters AS c (key, bucket, window_start, count)
            SELECT key, CASE WHEN key LIKE 't:%' THEN ${request.kind} ELSE 'anonymous' END, date_trunc('minute', now()), 1
            FROM caller
            ON CONFLICT (key, bucket) DO UPDATE SET
              count = CASE WHEN c.window_start = EXCLUDED.window_start THEN c.count + 1 ELSE 1 END,
              window_start = EXCLUDED.window_start
            RETURNING bucket, count, window_start
          )
          SELECT bucket, count,
            GREATEST(1, ceil(EXTRACT(EPOCH FROM (window_start + interval '1 minute' - now()))))::int AS reset_seconds
          FROM counted`
        const row = (yield* decodeCounts(rows))[0]
        if (row === undefined) return yield* Effect.die(new Error("the rate limit upsert returned no row"))
        return { bucket: row.bucket, count: row.count, resetSeconds: row.reset_seconds } satisfies RateCount
      }, errorsAreDefects)
    })
  })
)
