/** `/api/health` and `/api/config`: unauthenticated, for load balancers and the CLI. */
import { Duration, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobStore } from "../../../services/job-store.ts"
import { Settings } from "../../config.ts"
import { version } from "../../version.ts"
import { Api } from "../definition.ts"

export const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    const settings = yield* Settings
    return handlers
      .handle("health", () =>
        store.ping.pipe(
          Effect.timeoutOrElse({ duration: Duration.seconds(2), orElse: () => Effect.succeed(false) }),
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
