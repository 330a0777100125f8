/**
 * The disk store's presigned URLs:
 *
 *   {PUBLIC_URL}/storage/{key}?method=PUT&expires={unix seconds}&signature={hex HMAC-SHA256}
 *
 * The HMAC covers the method, the key and the expiry, so a URL allows exactly one method on exactly one key until it
 * expires. The `/storage/*` routes verify it; the signature is the only credential (no bearer token).
 */
import * as Crypto from "node:crypto"
import { Clock, Deferred, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { NetAddress } from "effect/net"
import { storagePath } from "../../../services/disk-storage.ts"
import { PresignedUrls, type SignedMethod, UrlRefused } from "../../../services/presigned-urls.ts"
import { serviceUrl, Settings } from "../../../src/config.ts"
import { loadSigningKey } from "./signing-key.ts"

/** The hex HMAC-SHA256 of one method on one key until `expires` (unix seconds). */
const signature = (secret: Redacted.Redacted<string>, method: string, key: string, expires: number): string =>
  Crypto.createHmac("sha256", Redacted.value(secret)).update(`${method}\n${key}\n${expires}`).digest("hex")

/** The URL that allows `method` on `key` until `expires`, signed with `secret`. */
export const presignedUrl = (
  base: string,
  secret: Redacted.Redacted<string>,
  method: SignedMethod,
  key: string,
  expires: number
): string =>
  `${base}${storagePath}${key}?method=${method}&expires=${expires}&signature=${signature(secret, method, key, expires)}`

const sameText = (a: string, b: string) =>
  a.length === b.length && Crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** `PresignedUrls` signed with the storage signing key, based at PUBLIC_URL (or where the service listens). */
export const PresignedUrlsLive = Layer.effect(PresignedUrls, Effect.gen(function*() {
  const settings = yield* Settings
  const secret = yield* loadSigningKey(settings.home, settings.storageSigningKey)
  const base = yield* Deferred.make<string>()
  if (Option.isSome(settings.publicUrl)) yield* Deferred.succeed(base, settings.publicUrl.value)
  else if (settings.port !== 0) yield* Deferred.succeed(base, serviceUrl(settings.host, settings.port))

  const make = Effect.fn("PresignedUrls.make")(function*(method: SignedMethod, key: string, expiresIn: Duration.Duration) {
    const now = yield* Clock.currentTimeMillis
    const expires = Math.floor((now + Duration.toMillis(Duration.min(expiresIn, Duration.days(3650)))) / 1000)
    return presignedUrl(yield* Deferred.await(base), secret, method, key, expires)
  })

  const verify = Effect.fn("PresignedUrls.verify")(function*(method: string, key: string, query: URLSearchParams) {
    const signedMethod = query.get("method")
    const expires = query.get("expires")
    const given = query.get("signature")
    if (signedMethod === null || expires === null || given === null) {
      return yield* new UrlRefused({ reason: "unsigned", detail: "This URL is not presigned (method, expires and signature are required)" })
    }
    if (!/^\d{1,15}$/.test(expires) || !sameText(signature(secret, signedMethod, key, Number(expires)), given)) {
      return yield* new UrlRefused({ reason: "signature", detail: "The URL's signature does not match its key, method and expiry" })
    }
    if (signedMethod !== method) {
      return yield* new UrlRefused({ reason: "method", detail: `This URL allows ${signedMethod}, not ${method}` })
    }
    if ((yield* Clock.currentTimeMillis) >= Number(expires) * 1000) {
      return yield* new UrlRefused({ reason: "expired", detail: `This URL expired at ${new Date(Number(expires) * 1000).toISOString()}` })
    }
  })

  const listening = (address: NetAddress.SocketAddress) =>
    Option.isNone(settings.publicUrl) && address._tag !== "UnixPathAddress"
      ? Effect.asVoid(Deferred.succeed(base, serviceUrl(settings.host, address.port)))
      : Effect.void

  return PresignedUrls.of({ make, verify, listening })
}))
