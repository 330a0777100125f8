/**
 * The durable workflow engine on the job database (`effect/cluster`), by process role:
 * - `all`: serves the API and runs workflows (the default: one process does everything);
 * - `runner`: runs workflows only; several runners may share one Postgres (each needs its own address);
 * - `api`: only starts, polls and cancels executions (hosts no shards, registers no runner).
 * Tuned so a crashed runner's jobs move to a surviving one in about 10 s, a new job starts within about 1 s, and a
 * SIGTERM waits only a few seconds for in-flight activities (which are re-run by the next owner anyway).
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { Duration, Layer, Option } from "effect"
import { ClusterWorkflowEngine, RunnerAddress } from "effect/cluster"

export type Role = "all" | "api" | "runner"

export interface EngineOptions {
  readonly role: Role
  /** Where other runners reach this one (ignored for `api`). */
  readonly runnerHost: string
  readonly runnerPort: number
}

const shardingTuning = {
  shardLockExpiration: Duration.seconds(10),
  refreshAssignmentsInterval: Duration.seconds(1),
  entityMessagePollInterval: Duration.seconds(1),
  entityTerminationTimeout: Duration.seconds(3)
}

/** The WorkflowEngine (plus the sharding behind it) for `role`; needs a SqlClient. */
export const WorkflowEngineLive = (options: EngineOptions) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      options.role === "api"
        ? NodeClusterSocket.layer({ clientOnly: true, storage: "sql", shardingConfig: shardingTuning })
        : NodeClusterSocket.layer({
          storage: "sql",
          shardingConfig: {
            ...shardingTuning,
            // Set explicitly: ShardingConfig would otherwise read the API's HOST/PORT as the runner address.
            runnerAddress: Option.some(RunnerAddress.make(options.runnerHost, options.runnerPort)),
            runnerListenAddress: Option.some(RunnerAddress.make(options.runnerHost, options.runnerPort))
          }
        })
    )
  )
