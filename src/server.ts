/**
 * What `fishcloud serve` runs: the database (embedded when DATABASE_URL is unset, migrated), the accounts with the
 * first-start token, the job store, the lifecycle, the object store (on disk), and the HTTP API.
 */
import { Effect, Layer, Option } from "effect"
import { AccountsLive } from "../layers/db/accounts.ts"
import { DatabaseLive } from "../layers/db/database.ts"
import { JobStoreLive } from "../layers/db/job-store.ts"
import { JobLifecycleUnscheduled } from "../layers/lifecycle/unscheduled.ts"
import { DiskObjectStoreLive } from "../layers/storage/disk.ts"
import type { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "effect/sql"
import { Accounts } from "../services/accounts.ts"
import type { JobLifecycle } from "../services/job-lifecycle.ts"
import { HttpServerLive } from "./api/server/http.ts"
import { Settings } from "./config.ts"

/** Creates the local administrator's token on a service that has none, and says where it is. */
const FirstStartToken = Layer.effectDiscard(Effect.gen(function*() {
  const accounts = yield* Accounts
  const { home } = yield* Settings
  const written = yield* accounts.bootstrapLocalToken(home)
  if (Option.isSome(written)) {
    yield* Effect.logInfo(`first start: created the local user; its API token is in ${written.value} (mode 0600)`)
  }
}))

/** The whole service on the given database and lifecycle layers (tests pass their own). */
export const makeService = <EDb, RDb, Extra, ELc, RLc>(
  database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, EDb, RDb>,
  lifecycle: Layer.Layer<JobLifecycle | Extra, ELc, RLc>
) =>
  Layer.mergeAll(HttpServerLive, FirstStartToken).pipe(
    Layer.provideMerge(Layer.mergeAll(JobStoreLive, AccountsLive, lifecycle)),
    Layer.provideMerge(DiskObjectStoreLive),
    Layer.provideMerge(database)
  )

export const ServiceLive = makeService(DatabaseLive, JobLifecycleUnscheduled)

export const serve = Layer.launch(ServiceLive.pipe(Layer.provide(Settings.layer)))
