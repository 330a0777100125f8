/** Every migration, in order. Applied at start-up and by `fishcloud migrate`. */
import { Migrator } from "effect/sql"
import initial from "./0001_initial.ts"
import llmUsage from "./0002_llm_usage.ts"
import podWorkerSecret from "./0003_pod_worker_secret.ts"
import staleAlerts from "./0004_stale_alerts.ts"
import podProgress from "./0005_pod_progress.ts"
import watchedRuns from "./0006_watched_runs.ts"
import shareLinks from "./0007_share_links.ts"
import signIn from "./0008_sign_in.ts"
import tokenScopes from "./0009_token_scopes.ts"
import quotas from "./0010_quotas.ts"
import deletedJobSpend from "./0011_deleted_job_spend.ts"

/** By `<id>_<name>`; an upgrade test restores old databases with a prefix of this list. */
export const migrationSteps = {
  "0001_initial": initial,
  "0002_llm_usage": llmUsage,
  "0003_pod_worker_secret": podWorkerSecret,
  "0004_stale_alerts": staleAlerts,
  "0005_pod_progress": podProgress,
  "0006_watched_runs": watchedRuns,
  "0007_share_links": shareLinks,
  "0008_sign_in": signIn,
  "0009_token_scopes": tokenScopes,
  "0010_quotas": quotas,
  "0011_deleted_job_spend": deletedJobSpend
}

export const migrations = Migrator.fromRecord(migrationSteps)
