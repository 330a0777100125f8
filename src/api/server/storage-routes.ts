/**
 * `PUT /storage/{key}` and `GET /storage/{key}`: the disk store's presigned URLs (`services/disk-storage.ts`).
 * The signature is the credential, so these routes take no bearer token. Uploads are streamed to disk and cut at
 * MAX_UPLOAD_BYTES; a PUT answers 200 like S3.
 */
import { Effect, Option } from "effect"
import { HttpRouter, HttpServer, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { type DiskError, DiskStorage, storagePath, type UploadTooLarge } from "../../../services/disk-storage.ts"
import { PresignedUrls, type UrlRefused } from "../../../services/presigned-urls.ts"
import { Settings } from "../../config.ts"
import { problem } from "./problem.ts"

/** A request that uploads an object (its body limit is MAX_UPLOAD_BYTES, not MAX_BODY_BYTES). */
export const isUpload = (request: HttpServerRequest.HttpServerRequest) =>
  request.method === "PUT" && request.url.startsWith(storagePath)

/**
 * The key and query of a `/storage/` request exactly as sent: the path is neither percent-decoded nor normalised
 * (a key never needs either), so `%2e%2e` stays three characters that no key may contain.
 */
const target = (url: string) => {
  const queryStart = url.indexOf("?")
  const path = queryStart < 0 ? url : url.slice(0, queryStart)
  return {
    key: path.slice(storagePath.length),
    query: new URLSearchParams(queryStart < 0 ? "" : url.slice(queryStart + 1))
  }
}

const contentTypes: Record<string, string> = { json: "application/json", md: "text/markdown; charset=utf-8" }

const contentTypeOf = (key: string) => contentTypes[key.slice(key.lastIndexOf(".") + 1)] ?? "application/octet-stream"

const refused = (error: UrlRefused) => problem(403, error.detail, `url-${error.reason}`)

const storageFailed = (error: DiskError) =>
  error._tag === "InvalidObjectKey"
    ? Effect.succeed(problem(400, error.message, "invalid-object-key"))
    : Effect.logError("object store failure", error.message).pipe(
      Effect.as(problem(500, `The object store could not ${error.operation} ${error.key}`, "object-store-failed"))
    )

export const StorageRoutes = HttpRouter.use((router) => Effect.gen(function*() {
  const disk = yield* DiskStorage
  const urls = yield* PresignedUrls
  const { maxUploadBytes } = yield* Settings
  // The URLs signed before now name this server; with PORT 0 its address is only known here.
  yield* urls.listening((yield* HttpServer.HttpServer).address)

  const tooLarge = (error: UploadTooLarge) =>
    Effect.succeed(problem(413, `The upload exceeds ${error.maxBytes} bytes`, "upload-too-large"))

  yield* router.add("PUT", `${storagePath}*`, (request) => {
    const { key, query } = target(request.url)
    return urls.verify("PUT", key, query).pipe(
      Effect.andThen(disk.write(key, request.stream, maxUploadBytes)),
      Effect.as(HttpServerResponse.empty({ status: 200 })),
      Effect.catchTags({
        UrlRefused: (error) => Effect.succeed(refused(error)),
        UploadTooLarge: tooLarge,
        InvalidObjectKey: storageFailed,
        ObjectStoreError: storageFailed
      }),
      Effect.withSpan("Storage.put", { attributes: { "storage.key": key } })
    )
  })

  yield* router.add("GET", `${storagePath}*`, (request) => {
    const { key, query } = target(request.url)
    return urls.verify("GET", key, query).pipe(
      Effect.andThen(disk.read(key)),
      Effect.map(Option.match({
        onNone: () => problem(404, `No object ${key}`, "object-not-found"),
        onSome: (object) =>
          HttpServerResponse.stream(object.stream, { contentType: contentTypeOf(key), contentLength: object.size })
      })),
      Effect.catchTags({
        UrlRefused: (error) => Effect.succeed(refused(error)),
        InvalidObjectKey: storageFailed,
        ObjectStoreError: storageFailed
      }),
      Effect.withSpan("Storage.get", { attributes: { "storage.key": key } })
    )
  })
}))
