/** Bearer-token auth for the job routes. The server implementation is `src/api/server/authorization.ts`. */
import { Context } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { User } from "../domain/user.ts"
import { Unauthorized } from "./api-errors.ts"

export class CurrentUser extends Context.Service<CurrentUser, User>()("fishcloud/api/CurrentUser") {}

export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: CurrentUser }>()(
  "fishcloud/api/Authorization",
  {
    requiredForClient: true,
    security: { bearer: HttpApiSecurity.bearer },
    error: Unauthorized
  }
) {}
