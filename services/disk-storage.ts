/**
 * What the disk object store adds to `ObjectStore` for the routes that serve its presigned URLs
 * (`/storage/{key}?method=…&expires=…&signature=…`): streaming objects in and out, and signing and checking the
 * URLs. Only the disk store has these; with S3 the URLs point at the bucket.
 */
import { Context, Data, type Duration, type Effect, type Option, type Stream } from "effect"
import type { NetAddress } from "effect/net"
import type { InvalidObjectKey, ObjectInfo, ObjectStoreError } from "./object-store.ts"

/** The path under which the service serves the disk store. */
export const storagePath = "/storage/"

export type SignedMethod = "GET" | "PUT"

/** An upload longer than the limit (MAX_UPLOAD_BYTES): nothing is stored. */
export class UploadTooLarge extends Data.TaggedError("UploadTooLarge")<{ readonly maxBytes: number }> {}

/** Why a request's URL does not allow it; `detail` is safe to show (it never contains the signature). */
export class UrlRefused extends Data.TaggedError("UrlRefused")<{
  readonly reason: "unsigned" | "signature" | "method" | "expired"
  readonly detail: string
}> {}

export type DiskError = ObjectStoreError | InvalidObjectKey

export interface StoredObject {
  readonly size: number
  readonly stream: Stream.Stream<Uint8Array, ObjectStoreError>
}

export class DiskStorage extends Context.Service<DiskStorage, {
  /** Streams `body` into `key`, refusing more than `maxBytes`; the object appears whole or not at all. */
  readonly write: <E>(
    key: string,
    body: Stream.Stream<Uint8Array, E>,
    maxBytes: number
  ) => Effect.Effect<ObjectInfo, DiskError | UploadTooLarge | E>
  readonly read: (key: string) => Effect.Effect<Option.Option<StoredObject>, DiskError>
}>()("fishcloud/services/DiskStorage") {}

export class PresignedUrls extends Context.Service<PresignedUrls, {
  /** A URL allowing `method` on `key` (a valid key) for `expiresIn`; it waits until the service knows its address. */
  readonly make: (method: SignedMethod, key: string, expiresIn: Duration.Duration) => Effect.Effect<string>
  /** Succeeds when `query` (of a request for `key` with `method`) carries a valid, unexpired signature for both. */
  readonly verify: (method: string, key: string, query: URLSearchParams) => Effect.Effect<void, UrlRefused>
  /** Tells where the service listens: the base of the URLs when PUBLIC_URL is unset and PORT was 0 (tests). */
  readonly listening: (address: NetAddress.SocketAddress) => Effect.Effect<void>
}>()("fishcloud/services/PresignedUrls") {}
