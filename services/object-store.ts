/**
 * Object storage for artifacts and reports: S3/MinIO in production, a folder on disk by default. Presigned URLs let
 * a pod upload and a browser download without credentials. Keys look like `sim-data/{job_id}/{file}`.
 */
import { Context, type Duration, type Effect, type Option, Schema } from "effect"

export class ObjectStoreError extends Schema.TaggedError<ObjectStoreError>()("ObjectStoreError", {
  operation: Schema.String,
  key: Schema.String,
  message: Schema.String
}) {}

/** A key that breaks the key rules (relative, no empty, "." or ".." segments, safe characters). */
export class InvalidObjectKey extends Schema.TaggedError<InvalidObjectKey>()("InvalidObjectKey", {
  key: Schema.String,
  message: Schema.String
}) {}

export interface ObjectInfo {
  readonly key: string
  readonly size: number
}

export class ObjectStore extends Context.Service<ObjectStore, {
  /** A URL that accepts one HTTP PUT of `key` until it expires. */
  readonly presignPut: (key: string, expiresIn: Duration.Duration) => Effect.Effect<string, ObjectStoreError>
  /** A URL that serves `key` with HTTP GET until it expires. */
  readonly presignGet: (key: string, expiresIn: Duration.Duration) => Effect.Effect<string, ObjectStoreError>
  readonly put: (key: string, body: Uint8Array, contentType: string) => Effect.Effect<void, ObjectStoreError>
  readonly get: (key: string) => Effect.Effect<Option.Option<Uint8Array>, ObjectStoreError>
  readonly head: (key: string) => Effect.Effect<Option.Option<ObjectInfo>, ObjectStoreError>
  /** Every object whose key starts with `prefix`. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<ObjectInfo>, ObjectStoreError>
  /** Deleting a missing key succeeds. */
  readonly delete: (key: string) => Effect.Effect<void, ObjectStoreError>
  /**
   * Deletes every object whose key starts with `prefix`, a folder (not empty, ending with `/`, e.g. `sim-data/12/`),
   * in as few requests as the store allows; answers how many it deleted. An object written while it runs may stay.
   */
  readonly deletePrefix: (prefix: string) => Effect.Effect<number, ObjectStoreError>
  /**
   * The folders directly under `prefix` (empty, or ending with `/`), as prefixes ending with `/`, sorted: every folder
   * holding an object is listed (the disk store may also list an empty one, until `deletePrefix` removes it).
   */
  readonly listFolders: (prefix: string) => Effect.Effect<ReadonlyArray<string>, ObjectStoreError>
}>()("fishcloud/services/ObjectStore") {}
