/** The lifecycle's activities: `Activity.make`, with the body run again through a database outage. */
import type { Schema } from "effect"
import { Activity } from "effect/workflow"
import { retryWhileDatabaseAway } from "../database-away.ts"

export const activity = <R, Success extends Schema.Constraint = Schema.Void, Error extends Schema.Constraint = Schema.Never>(
  options: Parameters<typeof Activity.make<R, Success, Error>>[0]
) => Activity.make({ ...options, execute: retryWhileDatabaseAway(options.execute) })
