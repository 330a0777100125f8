/**
 * `/api/health`, `/api/ready` and `/api/config`: unauthenticated, for load balancers, orchestrators and the CLI.
 * Health is liveness (the process answers); readiness is whether it should get traffic (`src/readiness.ts`).
 */
import { Duration, Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobStore } from "../../../services/job-store.ts"
import { Settings } from "../../config.ts"
import { Readiness } from "../../readiness.ts"
import { version } from "../../version.ts"
import { NotReady } from "../api-errors.ts"
import { Api } from "../definition.ts"

/** A database that does not answer within this long is reported missing rather than hanging the probe. */
const probeTimeout = Duration.seconds(2)

export const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    const settings = yield* Settings
    const readiness = yield* Readiness
    const ping = store.ping.pipe(Effect.timeoutOrElse({ duration: probeTimeout, orElse: () => Effect.succeed(false) }))
    return handlers
      .handle("ready", Effect.fn("System.ready")(function*() {
        const missing: Array<string> = []
        // A database that stops answering between the two reads is reported missing, not answered as a 500.
        const pending = (yield* ping)
          ? yield* store.pendingMigrations.pipe(Effect.timeout(probeTimeout), Effect.option)
          : Option.none()
        if (Option.isNone(pending)) missing.push("database not reachable")
        else if (pending.value.length > 0) missing.push(`database migrations not applied: ${pending.value.join(", ")}`)
        missing.push(...yield* readiness.pending)
        if (missing.length > 0) return yield* new NotReady({ missing, detail: `Not ready: ${missing.join("; ")}` })
        return { status: "ready", version } as const
      }))
      .handle("health", () =>
        ping.pipe(
          Effect.map((connected) =>
            connected
              ? { status: "ok", version, database: "connected" } as const
              : { status: "degraded", version, database: "disconnected" } as const
          )
        ))
      .handle("config", () =>
        Effect.succeed({ demo_mode: settings.demoMode, max_seed_chars: settings.maxSeedChars, version }))
  })
)
