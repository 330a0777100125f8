/**
 * Doctor check 2, the database: with DATABASE_URL, connect and compare the applied migrations with this build's;
 * without it, say that the embedded Postgres runs with the service and where its data is (it is not started here).
 */
import * as NodePath from "node:path"
import { Effect, Option } from "effect"
import { PgClientLive } from "../../../layers/db/database.ts"
import { migrationStatus } from "../../../layers/db/migration-status.ts"
import type { Finding } from "../../config-checks.ts"
import type { ServiceConfig } from "../../config.ts"
import { describeError } from "../cli-errors.ts"
import { bounded, scrub } from "./doctor-check.ts"

const check = "database"

const reachFix = "check DATABASE_URL (host, port, database name, user, password) and that this machine may connect to that Postgres"

export const databaseCheck = (settings: ServiceConfig): Effect.Effect<ReadonlyArray<Finding>> => {
  if (Option.isNone(settings.databaseUrl)) {
    return Effect.succeed([{
      severity: "ok",
      check,
      message: `DATABASE_URL is unset: the service runs the embedded Postgres, its data under ${NodePath.join(settings.home, "pg")}`
    }])
  }
  const url = settings.databaseUrl.value
  const clean = scrub([url])
  return migrationStatus.pipe(
    Effect.provide(PgClientLive(url)),
    Effect.scoped,
    Effect.map((status): ReadonlyArray<Finding> => {
      if (status.unknown.length > 0) {
        return [{
          severity: "error",
          check,
          message: `the database has migrations this build does not know (${status.unknown.join(", ")}): a newer fishcloud migrated it`,
          fix: "run the fishcloud version that migrated it, or a newer one"
        }]
      }
      if (status.pending.length > 0) {
        return [{
          severity: "warning",
          check,
          message: `reachable; ${status.pending.length} of ${status.pending.length + status.applied.length} migrations not applied yet ` +
            `(${status.pending.join(", ")})`,
          fix: "run `fishcloud migrate` (the service also applies them when it starts)"
        }]
      }
      return [{ severity: "ok", check, message: `reachable and migrated (${status.applied.length} migrations)` }]
    }),
    Effect.catch((error) =>
      Effect.succeed([{ severity: "error", check, message: clean(`cannot use DATABASE_URL: ${describeError(error)}`), fix: reachFix }] as const)
    ),
    bounded(check, reachFix)
  )
}
