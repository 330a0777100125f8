/**
 * An `ObjectStore` held in a Map, for tests that need artifacts or reports without a disk or an S3 server.
 * Presigned URLs are `memory://<key>?op=put|get&expires_in=<seconds>`: nothing serves them, but they name the key
 * so a fake pod worker can "upload" by calling `put` with that key.
 * Bodies are copied in and out, so a caller mutating its buffer cannot change a stored object.
 */
import { Duration, Effect, Layer, Option } from "effect"
import { ObjectStore, ObjectStoreError } from "../../services/object-store.ts"

interface MemoryObject {
  readonly body: Uint8Array
  readonly contentType: string
}

export interface MemoryObjectStoreOptions {
  /** Objects present from the start, by key. */
  readonly objects?: Iterable<readonly [string, MemoryObject]>
  /** Make an operation on a key fail with `ObjectStoreError`, e.g. to test an unreachable store. */
  readonly failWhen?: ((operation: string, key: string) => boolean) | undefined
}

/** The service and the Map behind it, so a test can look at (or tamper with) what was stored. */
const makeMemoryObjectStore = (options: MemoryObjectStoreOptions = {}) => {
  const objects = new Map<string, MemoryObject>(options.objects)
  const check = (operation: string, key: string) =>
    options.failWhen?.(operation, key) === true
      ? Effect.fail(new ObjectStoreError({ operation, key, message: "memory store: failure injected by the test" }))
      : Effect.void
  const presign = (op: "put" | "get") => (key: string, expiresIn: Duration.Duration) =>
    check(`presign-${op}`, key).pipe(
      Effect.as(`memory://${encodeURI(key)}?op=${op}&expires_in=${Math.floor(Duration.toSeconds(expiresIn))}`)
    )
  const store = ObjectStore.of({
    presignPut: presign("put"),
    presignGet: presign("get"),
    put: (key, body, contentType) =>
      check("put", key).pipe(Effect.andThen(Effect.sync(() => {
        objects.set(key, { body: body.slice(), contentType })
      }))),
    get: (key) =>
      check("get", key).pipe(Effect.andThen(Effect.sync(() =>
        Option.map(Option.fromUndefinedOr(objects.get(key)), (o) => o.body.slice())
      ))),
    head: (key) =>
      check("head", key).pipe(Effect.andThen(Effect.sync(() =>
        Option.map(Option.fromUndefinedOr(objects.get(key)), (o) => ({ key, size: o.body.byteLength }))
      ))),
    list: (prefix) =>
      check("list", prefix).pipe(Effect.andThen(Effect.sync(() =>
        [...objects].filter(([key]) => key.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([key, o]) => ({ key, size: o.body.byteLength }))
      ))),
    delete: (key) =>
      check("delete", key).pipe(Effect.andThen(Effect.sync(() => {
        objects.delete(key)
      }))),
    // No key checks here (the contract tests hold the real stores to them), but never an empty prefix.
    deletePrefix: (prefix) =>
      check("deletePrefix", prefix).pipe(Effect.andThen(Effect.suspend(() => {
        if (!prefix.endsWith("/")) {
          return Effect.fail(new ObjectStoreError({ operation: "deletePrefix", key: prefix, message: "invalid object key prefix: a folder must end with \"/\"" }))
        }
        const keys = [...objects.keys()].filter((key) => key.startsWith(prefix))
        for (const key of keys) objects.delete(key)
        return Effect.succeed(keys.length)
      }))),
    listFolders: (prefix) =>
      check("listFolders", prefix).pipe(Effect.andThen(Effect.sync(() =>
        [...new Set([...objects.keys()].filter((key) => key.startsWith(prefix) && key.indexOf("/", prefix.length) > 0)
          .map((key) => key.slice(0, key.indexOf("/", prefix.length) + 1)))].sort()
      )))
  })
  return { store, objects }
}

/** A fresh, empty (or pre-filled) store per layer build. */
export const MemoryObjectStoreLive = (options: MemoryObjectStoreOptions = {}) =>
  Layer.effect(ObjectStore, Effect.sync(() => makeMemoryObjectStore(options).store))
