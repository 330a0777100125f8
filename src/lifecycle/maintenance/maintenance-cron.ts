/**
 * Maintenance as a cluster cron job (`effect/cluster` `ClusterCron`): one run cluster-wide at each tick, held by one
 * runner; when that runner is lost, another takes the cron over. A failed pass is logged and the next tick runs
 * again; ticks missed while no runner was up are skipped rather than caught up.
 */
import { ClusterCron } from "effect/cluster"
import { Cron, Duration, Effect } from "effect"
import { runMaintenance } from "./maintenance-run.ts"

/** Every `minutes` minutes (1 to 30), at the minutes divisible by it. */
export const MaintenanceCronLive = (minutes: number) =>
  ClusterCron.make({
    name: "fishcloud.maintenance",
    cron: Cron.parseUnsafe(`*/${minutes} * * * *`),
    execute: runMaintenance().pipe(
      Effect.catchCause((cause) => Effect.logError("maintenance pass failed; the next tick runs it again", cause)),
      Effect.asVoid
    ),
    skipIfOlderThan: Duration.minutes(minutes)
  })
