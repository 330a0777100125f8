/** The bearer-token check on every job route: an unknown or missing token is a 401 problem. */
import { Effect, Layer, Option } from "effect"
import { Accounts } from "../../../services/accounts.ts"
import { Unauthorized } from "../api-errors.ts"
import { Authorization, CurrentUser } from "../security.ts"

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const accounts = yield* Accounts
    return Authorization.of({
      bearer: Effect.fn("Authorization.bearer")(function*(httpEffect, { credential }) {
        const user = yield* accounts.authenticate(credential)
        if (Option.isNone(user)) return yield* new Unauthorized({})
        yield* Effect.annotateCurrentSpan("user.id", user.value.id)
        return yield* Effect.provideService(httpEffect, CurrentUser, user.value)
      })
    })
  })
)
