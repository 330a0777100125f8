/**
 * `/api/health`, `/api/ready` and `/api/config`: unauthenticated, for load balancers, orchestrators and the CLI.
 * Health is liveness (the process answers); readiness is whether it should get traffic (`src/readiness.ts`).
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobStore } from "../../../services/job-store.ts"
import { Settings } from "../../config.ts"
import { Readiness } from "../../readiness.ts"
import { version } from "../../version.ts"
import { NotReady } from "../api-errors.ts"
import { Api } from "../definition.ts"
import { missingParts, probeTimeout } from "./readiness-check.ts"

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
        const missing = yield* missingParts().pipe(Effect.provideService(JobStore, store), Effect.provideService(Readiness, readiness))
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
