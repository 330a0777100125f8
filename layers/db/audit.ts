/**
 * `Audit` on Postgres: `audit_log` rows, appended once per state-changing request and read back newest first, by
 * user, job and time. The user's and token's names are copied into the row, so an entry outlives both.
 */
import { Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Audit, type AuditEntry, type AuditQuery, AuditRecord } from "../../services/audit.ts"
import { sqlErrorsAreDefects } from "./sql-defect.ts"

const EntryRow = Schema.Struct({ id: Schema.Int, at_ms: Schema.Finite, ...AuditRecord.fields })
const decodeEntryRows = Schema.decodeUnknownEffect(Schema.Array(EntryRow))

const entryOf = ({ at_ms, ...row }: typeof EntryRow.Type): AuditEntry => ({ ...row, at: new Date(at_ms).toISOString() })

export const AuditLive = Layer.effect(
  Audit,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const record = Effect.fn("Audit.record")(function*(entry: AuditRecord) {
      // The subject may come from the path (`/api/admin/quotas/%00`, refused with a 400): Postgres text cannot hold
      // NUL, and the entry must not be lost for it.
      const subject = entry.subject === null ? null : entry.subject.replaceAll("\u0000", "\ufffd")
      yield* sql`INSERT INTO audit_log ${sql.insert({ ...entry, subject })}`
    }, sqlErrorsAreDefects)

    const list = Effect.fn("Audit.list")(function*(query: AuditQuery) {
      const user = Option.getOrNull(query.user)
      const job = Option.getOrNull(query.job)
      const since = Option.getOrNull(query.since)
      const where = sql`(${user}::text IS NULL OR user_name = ${user}::text)
        AND (${job}::int IS NULL OR job_id = ${job}::int)
        AND (${since}::timestamptz IS NULL OR at >= ${since}::timestamptz)`
      const rows = yield* sql`SELECT id, (extract(epoch FROM at) * 1000)::float8 AS at_ms, user_id, user_name, token_id,
          token_name, scope, method, route, action, job_id, subject, status
        FROM audit_log WHERE ${where} ORDER BY id DESC LIMIT ${query.perPage} OFFSET ${(query.page - 1) * query.perPage}`
      const counted = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE ${where}`
      const entries = (yield* Effect.orDie(decodeEntryRows(rows))).map(entryOf)
      return { entries, page: query.page, per_page: query.perPage, total: counted[0]?.n ?? 0 }
    }, sqlErrorsAreDefects)

    return Audit.of({ record, list })
  })
)
