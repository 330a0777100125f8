/**
 * The bearer-token check on every job route: an unknown or missing token is a 401 problem; so is an expired session,
 * whose detail says so (the dashboard then returns to its sign-in page).
 */
import { Effect, Layer } from "effect"
import { Accounts } from "../../../services/accounts.ts"
import { Unauthorized } from "../api-errors.ts"
import { Authorization, CurrentUser } from "../security.ts"

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const accounts = yield* Accounts
    return Authorization.of({
      bearer: Effect.fn("Authorization.bearer")(function*(httpEffect, { credential }) {
        const identity = yield* accounts.identify(credential)
        if (identity._tag === "Expired") return yield* new Unauthorized({ detail: "Your session expired; sign in again" })
        if (identity._tag === "Unknown") return yield* new Unauthorized({})
        yield* Effect.annotateCurrentSpan("user.id", identity.user.id)
        return yield* Effect.provideService(httpEffect, CurrentUser, identity.user)
      })
    })
  })
)
