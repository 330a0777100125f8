/**
 * The embedded object store: objects are files under `$FISHCLOUD_HOME/objects`, and presigned URLs point at the
 * `/storage/*` routes (`src/api/server/storage-routes.ts`), which stream uploads and downloads through `DiskStorage`
 * (`services/disk-storage.ts`).
 */
import * as NodePath from "node:path"
import { Context, type Duration, Effect, Layer, Stream } from "effect"
import { DiskStorage } from "../../../services/disk-storage.ts"
import { PresignedUrls, type SignedMethod } from "../../../services/presigned-urls.ts"
import { ObjectStore, type ObjectStoreError } from "../../../services/object-store.ts"
import { Settings } from "../../../src/config.ts"
import {
  listFolders,
  listObjects,
  openFolder,
  readObject,
  readObjectBytes,
  removeObject,
  removeObjectsUnder,
  statObject,
  writeObject
} from "./disk-folder.ts"
import { refusedKey, validKey } from "../object-key.ts"
import { PresignedUrlsLive } from "./presigned-urls-live.ts"

/** The folder under `$FISHCLOUD_HOME` that holds the objects. */
const objectsFolderName = "objects"

const DiskStores = Layer.effectContext(Effect.gen(function*() {
  const { home } = yield* Settings
  const urls = yield* PresignedUrls
  const folder = yield* openFolder(NodePath.join(home, objectsFolderName))

  const presign = (method: SignedMethod, operation: string) =>
    Effect.fn(`DiskObjectStore.${operation}`)(function*(key: string, expiresIn: Duration.Duration) {
      yield* validKey(key).pipe(Effect.mapError(refusedKey(operation)))
      return yield* urls.make(method, key, expiresIn)
    })

  const store = ObjectStore.of({
    presignPut: presign("PUT", "presignPut"),
    presignGet: presign("GET", "presignGet"),
    // The disk store keeps no metadata: a download's content type comes from the key's extension.
    put: (key, body, _contentType) =>
      writeObject(folder, key, Stream.succeed(body), Number.POSITIVE_INFINITY).pipe(
        Effect.asVoid,
        Effect.catchTags({
          InvalidObjectKey: (error) => Effect.fail(refusedKey("put")(error)),
          UploadTooLarge: Effect.die
        })
      ),
    get: (key) => readObjectBytes(folder, key).pipe(Effect.catchTag("InvalidObjectKey", (error) => Effect.fail(refusedKey("get")(error)))),
    head: (key) => statObject(folder, key).pipe(Effect.catchTag("InvalidObjectKey", (error) => Effect.fail(refusedKey("head")(error)))),
    list: (prefix) => listObjects(folder, prefix).pipe(Effect.catchTag("InvalidObjectKey", (error) => Effect.fail(refusedKey("list")(error)))),
    delete: (key) => removeObject(folder, key).pipe(Effect.catchTag("InvalidObjectKey", (error) => Effect.fail(refusedKey("delete")(error)))),
    deletePrefix: (prefix) =>
      removeObjectsUnder(folder, prefix).pipe(
        Effect.catchTag("InvalidObjectKey", (error) => Effect.fail(refusedKey("deletePrefix")(error))),
        Effect.withSpan("DiskObjectStore.deletePrefix")
      ),
    listFolders: (prefix) =>
      listFolders(folder, prefix).pipe(Effect.catchTag("InvalidObjectKey", (error) => Effect.fail(refusedKey("listFolders")(error))))
  })

  const disk = DiskStorage.of({
    write: (key, body, maxBytes) => writeObject(folder, key, body, maxBytes),
    read: (key) => readObject(folder, key)
  })

  return Context.make(ObjectStore, store).pipe(Context.add(DiskStorage, disk))
}))

/** `ObjectStore`, `DiskStorage` and `PresignedUrls` on `$FISHCLOUD_HOME/objects`. */
export const DiskObjectStoreLive: Layer.Layer<ObjectStore | DiskStorage | PresignedUrls, ObjectStoreError, Settings> =
  DiskStores.pipe(Layer.provideMerge(PresignedUrlsLive))
