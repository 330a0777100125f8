/**
 * The worker's bearer check (`docs/lifecycle.md`, "The pod worker protocol"). A RunPod pod's port is reachable by
 * anyone on its public proxy URL, so every request but `GET /health` must carry
 * `Authorization: Bearer <POD_WORKER_SECRET>`; any other answers 401 with the protocol's error body, unknown paths
 * included, so a stranger learns nothing. `/health` stays open because it tells nothing but readiness. Every
 * authenticated request, `/health` included, is contact for the dead-man's switch (`idle-watch.ts`).
 */
import * as Crypto from "node:crypto"
import { Effect, Redacted } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { IdleWatch } from "../idle-watch.ts"
import { PodWorkerSettings } from "../pod-worker-config.ts"
import { ErrorReply } from "./replies.ts"

const sha256 = (text: string) => Crypto.createHash("sha256").update(text, "utf8").digest()

/**
 * Whether the header carries the secret. Both sides are hashed first, so the constant-time comparison always sees
 * two 32-byte values and the time it takes tells nothing about the secret, its length included.
 */
const carriesSecret = (header: string | undefined, expected: Buffer) => {
  const token = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  return token !== null && Crypto.timingSafeEqual(sha256(token[1]!), expected)
}

const isHealth = (request: HttpServerRequest.HttpServerRequest) =>
  (request.method === "GET" || request.method === "HEAD") && request.url.split(/[?#]/)[0] === "/health"

const unauthorized = HttpServerResponse.schemaJson(ErrorReply)(
  { error: "Unauthorized: send Authorization: Bearer <the pod's worker secret>" },
  { status: 401, headers: { "www-authenticate": "Bearer" } }
).pipe(Effect.orDie)

/** Global: it runs before routing, so an unknown path without the secret is a 401 too. */
export const WorkerAuthLive = HttpRouter.middleware(
  Effect.gen(function*() {
    const { secret } = yield* PodWorkerSettings
    const watch = yield* IdleWatch
    const expected = sha256(Redacted.value(secret))
    return (httpEffect) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const authenticated = carriesSecret(request.headers["authorization"], expected)
        if (authenticated) yield* watch.contact
        if (authenticated || isHealth(request)) return yield* httpEffect
        return yield* unauthorized
      })
  }),
  { global: true }
)
