/**
 * What the disk object store adds to `ObjectStore` for the routes that serve its presigned URLs
 * (`/storage/{key}?method=…&expires=…&signature=…`): streaming objects in and out (the URLs themselves are
 * `PresignedUrls`, `presigned-urls.ts`). Only the disk store has these; with S3 the URLs point at the bucket.
 */
import { Context, Data, type Effect, type Option, type Stream } from "effect"
import type { InvalidObjectKey, ObjectInfo, ObjectStoreError } from "./object-store.ts"

/** The path under which the service serves the disk store. */
export const storagePath = "/storage/"

/** An upload longer than the limit (MAX_UPLOAD_BYTES): nothing is stored. */
export class UploadTooLarge extends Data.TaggedError("UploadTooLarge")<{ readonly maxBytes: number }> {}

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
