/** Where the public page of a share token is: PUBLIC_URL when set, else the host the caller reached. */
import { Effect, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { Settings } from "../../config.ts"

const sharePath = (token: string) => `/s/${token}`

export const shareUrl = Effect.fn("Share.url")(function*(token: string) {
  const { publicUrl } = yield* Settings
  if (Option.isSome(publicUrl)) return `${publicUrl.value.replace(/\/$/, "")}${sharePath(token)}`
  const request = yield* HttpServerRequest.HttpServerRequest
  return `http://${request.headers["host"] ?? "127.0.0.1"}${sharePath(token)}`
})
