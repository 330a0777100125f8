/** `/api/health` and `/api/config`: unauthenticated, for load balancers and the CLI. */
import { Duration, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { SqlClient } from "effect/sql"
import { Settings } from "../../config.ts"
import { version } from "../../version.ts"
import { Api } from "../definition.ts"

export const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function*(handlers) {
    const sql = yield* SqlClient.SqlClient
    const settings = yield* Settings
    return handlers
      .handle("health", () =>
        sql`SELECT 1`.pipe(
          Effect.timeout(Duration.seconds(2)),
          Effect.match({
            onFailure: () => ({ status: "degraded", version, database: "disconnected" }) as const,
            onSuccess: () => ({ status: "ok", version, database: "connected" }) as const
          })
        ))
      .handle("config", () =>
        Effect.succeed({ demo_mode: settings.demoMode, max_seed_chars: settings.maxSeedChars, version }))
  })
)
