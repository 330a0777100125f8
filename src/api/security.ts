/** Bearer-token auth for the job routes. The server implementation is `src/api/server/authorization.ts`. */
import { Context, Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { UserId } from "../domain/ids.ts"
import { Unauthorized } from "./errors.ts"

export const User = Schema.Struct({ id: UserId, name: Schema.String, is_admin: Schema.Boolean })
export type User = typeof User.Type

export class CurrentUser extends Context.Service<CurrentUser, User>()("fishcloud/api/CurrentUser") {}

export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: CurrentUser }>()(
  "fishcloud/api/Authorization",
  {
    requiredForClient: true,
    security: { bearer: HttpApiSecurity.bearer },
    error: Unauthorized
  }
) {}
