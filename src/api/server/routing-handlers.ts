/** Handlers of `/api/routing`: what each tier runs on. Anyone signed in may read it; administrators change it. */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobStore } from "../../../services/job-store.ts"
import { Api } from "../definition.ts"
import { AdminOnly } from "../api-errors.ts"
import { CurrentUser } from "../security.ts"

export const RoutingHandlers = HttpApiBuilder.group(
  Api,
  "routing",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    return handlers
      .handle("list", () => store.listRouting)
      .handle("set", Effect.fn("Routing.set")(function*({ params, payload }) {
        const user = yield* CurrentUser
        if (!user.is_admin) return yield* new AdminOnly({ detail: "Changing the model routing needs an administrator token" })
        return yield* store.setRouting({ ...payload, sim_tier: params.tier })
      }))
  })
)
