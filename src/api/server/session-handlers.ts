/**
 * `POST /api/session` and `GET /api/me`: the dashboard's sign-in. A one-time code from a sign-in link is exchanged
 * for a session token that expires after SESSION_TTL_HOURS; the refusal says why (unknown, used or expired), so a
 * person holding a stale link knows to ask for a new one.
 */
import { Effect, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Accounts, type SignInRefusal } from "../../../services/accounts.ts"
import { Settings } from "../../config.ts"
import { SignInLinkRefused } from "../api-errors.ts"
import { Api } from "../definition.ts"
import { CurrentUser } from "../security.ts"

const refusalDetail: Record<SignInRefusal, string> = {
  unknown: "This sign-in link is not known. Run `fishcloud sign-in` for a new one.",
  used: "This sign-in link was already used; each link works once. Run `fishcloud sign-in` for a new one.",
  expired: "This sign-in link expired. Run `fishcloud sign-in` for a new one."
}

export const SessionHandlers = HttpApiBuilder.group(
  Api,
  "session",
  Effect.fn(function*(handlers) {
    const accounts = yield* Accounts
    const { sessionTtl } = yield* Settings
    return handlers
      .handle("signIn", ({ payload }) =>
        accounts.redeemSignInCode(Redacted.make(payload.code), sessionTtl).pipe(
          Effect.map((session) => ({
            token: Redacted.value(session.token),
            expires_at: session.expiresAt.toISOString(),
            user: { name: session.user.name, admin: session.user.is_admin }
          })),
          Effect.catchTag("SignInRefused", (refused) =>
            Effect.gen(function*() {
              yield* Effect.annotateCurrentSpan("sign_in.refused", refused.reason)
              return yield* new SignInLinkRefused({ detail: refusalDetail[refused.reason] })
            }))
        ))
      .handle("me", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return { name: user.name, admin: user.is_admin }
        }))
  })
)
