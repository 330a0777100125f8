/** Every migration, in order. Applied at start-up and by `fishcloud migrate`. */
import { Migrator } from "effect/sql"
import initial from "./0001_initial.ts"
import llmUsage from "./0002_llm_usage.ts"
import podWorkerSecret from "./0003_pod_worker_secret.ts"

/** By `<id>_<name>`; an upgrade test restores old databases with a prefix of this list. */
export const migrationSteps = {
  "0001_initial": initial,
  "0002_llm_usage": llmUsage,
  "0003_pod_worker_secret": podWorkerSecret
}

export const migrations = Migrator.fromRecord(migrationSteps)
