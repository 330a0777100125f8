/**
 * What is missing before this process should get traffic (`/api/ready` of the API, and of a runner's health port):
 * the database reachable, its migrations applied, and the start-up parts of `src/readiness.ts`.
 */
import { Duration, Effect, Option } from "effect"
import { JobStore } from "../../../services/job-store.ts"
import { Readiness } from "../../readiness.ts"

/** A database that does not answer within this long is reported missing rather than hanging the probe. */
export const probeTimeout = Duration.seconds(2)

export const missingParts = Effect.fn("System.missingParts")(function*() {
  const store = yield* JobStore
  const readiness = yield* Readiness
  const missing: Array<string> = []
  const reachable = yield* store.ping.pipe(Effect.timeoutOrElse({ duration: probeTimeout, orElse: () => Effect.succeed(false) }))
  // A database that stops answering between the two reads is reported missing, not answered as a 500.
  const pending = reachable ? yield* store.pendingMigrations.pipe(Effect.timeout(probeTimeout), Effect.option) : Option.none()
  if (Option.isNone(pending)) missing.push("database not reachable")
  else if (pending.value.length > 0) missing.push(`database migrations not applied: ${pending.value.join(", ")}`)
  missing.push(...yield* readiness.pending)
  return missing
})
