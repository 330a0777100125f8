/** Signing and checking the disk store's presigned URLs (`/storage/{key}?method=…&expires=…&signature=…`). */
import { Context, Data, type Duration, type Effect } from "effect"
import type { NetAddress } from "effect/net"

export type SignedMethod = "GET" | "PUT"

/** Why a request's URL does not allow it; `detail` is safe to show (it never contains the signature). */
export class UrlRefused extends Data.TaggedError("UrlRefused")<{
  readonly reason: "unsigned" | "signature" | "method" | "expired"
  readonly detail: string
}> {}

export class PresignedUrls extends Context.Service<PresignedUrls, {
  /** A URL allowing `method` on `key` (a valid key) for `expiresIn`; it waits until the service knows its address. */
  readonly make: (method: SignedMethod, key: string, expiresIn: Duration.Duration) => Effect.Effect<string>
  /** Succeeds when `query` (of a request for `key` with `method`) carries a valid, unexpired signature for both. */
  readonly verify: (method: string, key: string, query: URLSearchParams) => Effect.Effect<void, UrlRefused>
  /** Tells where the service listens: the base of the URLs when PUBLIC_URL is unset and PORT was 0 (tests). */
  readonly listening: (address: NetAddress.SocketAddress) => Effect.Effect<void>
}>()("fishcloud/services/PresignedUrls") {}
