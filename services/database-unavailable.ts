/**
 * The database did not answer (restarting, shutting down, a lost connection): worth trying again in a moment,
 * unlike a query that is wrong. The stores raise it as a defect (`layers/db/sql-defect.ts`) with the database's own
 * error as its cause; the lifecycle retries its steps through an outage (`src/lifecycle/database-away.ts`).
 */
import { Schema } from "effect"

export class DatabaseUnavailable extends Schema.TaggedError<DatabaseUnavailable>()("DatabaseUnavailable", {
  cause: Schema.Defect()
}) {
  override get message() {
    return `the database does not answer: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}
