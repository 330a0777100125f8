/**
 * The production object store: one bucket of S3 or an S3-compatible server (MinIO, R2...), through the AWS SDK v3.
 * Keys follow the disk store's rules (`object-key.ts`) and are checked before any request, so both stores accept
 * and refuse the same keys. Presigned URLs are signed locally by the SDK and point straight at the bucket.
 */
import { Readable } from "node:stream"
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { getSignedUrl } from "@aws-sdk/s3-request-presigner"
import { Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { type ObjectInfo, ObjectStore, ObjectStoreError } from "../../../services/object-store.ts"
import { ObjectKey, refusedKey, validFolder, validKey, validPrefix } from "../object-key.ts"
import { bucketExists, ensureBucket } from "./s3-bucket.ts"
import { S3Config, type S3Settings } from "./s3-config.ts"
import { classify, type FailureContext, isNotFound, requestError, storeError } from "./s3-errors.ts"

export interface S3ObjectStoreOptions extends S3Settings {
  /** Keys per ListObjectsV2 page, 1 to 1000 (S3's maximum, and the default); tests use a small one to page. */
  readonly listPageSize?: number
  /** Keys per DeleteObjects request, 1 to 1000 (S3's maximum, and the default); tests use a small one to batch. */
  readonly deleteBatchSize?: number
}

/** SigV4 presigned URLs live at most 7 days. */
export const maxPresignSeconds = 7 * 24 * 3600

const ListedObjects = Schema.Array(Schema.Struct({
  Key: Schema.String,
  Size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
}))
const decodeListed = Schema.decodeUnknownEffect(ListedObjects)
const decodeFolders = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ Prefix: Schema.String })))
const decodeSize = Schema.decodeUnknownEffect(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
const isObjectKey = Schema.is(ObjectKey)

const byKey = (a: ObjectInfo, b: ObjectInfo) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

const makeClient = (options: S3ObjectStoreOptions) =>
  new S3Client({
    region: options.region,
    ...(Option.isSome(options.endpoint) ? { endpoint: options.endpoint.value } : {}),
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: Redacted.value(options.secretAccessKey) },
    forcePathStyle: options.forcePathStyle,
    // The default (WHEN_SUPPORTED) puts a CRC32 of an empty body into presigned PUT URLs and sends bodies
    // aws-chunked, which S3-compatible servers handle unevenly (EFFECT4-NOTES.md, "Client libraries").
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The SDK's default is no timeout at all: an unreachable endpoint or a stalled socket would hang a job.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 }
  })

/** The store on `options.bucket`; the client lives as long as the scope. Fails if the bucket is not usable. */
export const makeS3ObjectStore = Effect.fn("S3ObjectStore.make")(function*(options: S3ObjectStoreOptions) {
  const bucket = options.bucket
  const context: FailureContext = { bucket, secretAccessKey: options.secretAccessKey }
  const pageSize = options.listPageSize ?? 1000
  const deleteBatchSize = options.deleteBatchSize ?? 1000
  for (const [name, value] of [["listPageSize", pageSize], ["deleteBatchSize", deleteBatchSize]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 1000) {
      return yield* storeError(context, "configure the store for bucket", "", `${name} must be an integer from 1 to 1000, not ${value}`)
    }
  }
  const client = yield* Effect.acquireRelease(Effect.sync(() => makeClient(options)), (client) => Effect.sync(() => client.destroy()))
  yield* ensureBucket(client, context, { create: options.createBucket, region: options.region })

  /** One SDK call; interrupting the effect aborts the request. */
  const request = <A>(run: (abortSignal: AbortSignal) => Promise<A>) => Effect.tryPromise({ try: run, catch: classify })

  const checkKey = (operation: string, key: string) => validKey(key).pipe(Effect.mapError(refusedKey(operation)))

  const expirySeconds = (operation: string, key: string, expiresIn: Duration.Duration) => {
    const seconds = Math.ceil(Duration.toMillis(expiresIn) / 1000)
    return seconds >= 1 && seconds <= maxPresignSeconds
      ? Effect.succeed(seconds)
      : Effect.fail(storeError(context, operation, key, `presigned URLs live 1 s to ${maxPresignSeconds} s (7 days), not ${Duration.format(expiresIn)}`))
  }

  // The URLs sign only `host`: whoever holds one chooses the Content-Type of what they upload.
  const presign = (operation: "presignPut" | "presignGet") =>
    Effect.fn(`S3ObjectStore.${operation}`)(function*(key: string, expiresIn: Duration.Duration) {
      yield* checkKey(operation, key)
      const seconds = yield* expirySeconds(operation, key, expiresIn)
      const command = operation === "presignPut"
        ? new PutObjectCommand({ Bucket: bucket, Key: key })
        : new GetObjectCommand({ Bucket: bucket, Key: key })
      return yield* request(() => getSignedUrl(client, command, { expiresIn: seconds })).pipe(
        Effect.mapError(requestError(context, operation, key))
      )
    })

  const put = Effect.fn("S3ObjectStore.put")(function*(key: string, body: Uint8Array, contentType: string) {
    yield* checkKey("put", key)
    yield* request((abortSignal) =>
      client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.byteLength }),
        { abortSignal }
      )
    ).pipe(Effect.mapError(requestError(context, "put", key)))
  })

  const get = Effect.fn("S3ObjectStore.get")(function*(key: string) {
    yield* checkKey("get", key)
    const response = yield* request((abortSignal) => client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })).pipe(
      Effect.map(Option.some),
      Effect.catchIf((failure) => failure.code === "NoSuchKey", () => Effect.succeedNone),
      Effect.mapError(requestError(context, "get", key))
    )
    if (Option.isNone(response)) return Option.none<Uint8Array>()
    const body = response.value.Body
    if (body === undefined) return yield* storeError(context, "get", key, "GetObject answered without a body")
    const bytes = yield* request(() => body.transformToByteArray()).pipe(
      Effect.mapError(requestError(context, "get", key)),
      // An unread response holds its connection open.
      Effect.onInterrupt(() => Effect.sync(() => body instanceof Readable && body.destroy()))
    )
    return Option.some(bytes)
  })

  /** A 404 on HEAD does not say whether the key or the bucket is missing; a missing bucket must not read as None. */
  const missingObject = (key: string) =>
    bucketExists(client, bucket).pipe(
      Effect.mapError(requestError(context, "head", key)),
      Effect.flatMap((exists) =>
        exists ? Effect.succeedNone : Effect.fail(storeError(context, "head", key, `bucket ${bucket} does not exist`))
      )
    )

  const head = Effect.fn("S3ObjectStore.head")(function*(key: string) {
    yield* checkKey("head", key)
    const response = yield* request((abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })).pipe(
      Effect.map(Option.some),
      Effect.catchIf(isNotFound, () => Effect.succeedNone),
      Effect.mapError(requestError(context, "head", key))
    )
    if (Option.isNone(response)) return yield* missingObject(key)
    const size = yield* decodeSize(response.value.ContentLength).pipe(
      Effect.mapError(() => storeError(context, "head", key, "HeadObject answered without a valid Content-Length"))
    )
    return Option.some<ObjectInfo>({ key, size })
  })

  /**
   * One page of the listing: its objects, its folders (with `delimiter` "/": the common prefixes up to the next "/"),
   * and the token of the next page when there is one.
   */
  const listPage = (operation: string, prefix: string, continuation: string | undefined, delimiter?: "/") =>
    Effect.gen(function*() {
      const page = yield* request((abortSignal) =>
        client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: pageSize,
            ...(delimiter === undefined ? {} : { Delimiter: delimiter }),
            ...(continuation === undefined ? {} : { ContinuationToken: continuation })
          }),
          { abortSignal }
        )
      ).pipe(Effect.mapError(requestError(context, operation, prefix)))
      const unexpected = (error: Schema.SchemaError) =>
        storeError(context, operation, prefix, `ListObjectsV2 answered an unexpected listing: ${error.message}`)
      const objects = yield* decodeListed(page.Contents ?? []).pipe(Effect.mapError(unexpected))
      const folders = yield* decodeFolders(page.CommonPrefixes ?? []).pipe(Effect.mapError(unexpected))
      if (page.IsTruncated !== true) return { objects, folders, next: Option.none<string>() }
      if (page.NextContinuationToken === undefined || page.NextContinuationToken === "") {
        return yield* storeError(context, operation, prefix, "ListObjectsV2 said the listing goes on but gave no continuation token")
      }
      return { objects, folders, next: Option.some(page.NextContinuationToken) }
    })

  // Keys that no method would accept (written by other tools) are left out, as the disk store leaves out files
  // that are not objects: whatever `list` returns can be passed to `get`.
  /** Every page of the listing of a checked `prefix`; failures name `operation`. */
  const listAll = (operation: string, prefix: string) =>
    Effect.gen(function*() {
      const found: Array<ObjectInfo> = []
      let next = Option.none<string>()
      do {
        const page = yield* listPage(operation, prefix, Option.getOrUndefined(next))
        for (const object of page.objects) {
          if (object.Key.startsWith(prefix) && isObjectKey(object.Key)) found.push({ key: object.Key, size: object.Size })
        }
        next = page.next
      } while (Option.isSome(next))
      return found.sort(byKey)
    })

  const list = Effect.fn("S3ObjectStore.list")(function*(prefix: string) {
    yield* validPrefix(prefix).pipe(Effect.mapError(refusedKey("list")))
    return yield* listAll("list", prefix)
  })

  const remove = Effect.fn("S3ObjectStore.delete")(function*(key: string) {
    yield* checkKey("delete", key)
    // S3 answers 204 for a missing key; some compatible servers say NoSuchKey, which means the same here.
    yield* request((abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })).pipe(
      Effect.asVoid,
      Effect.catchIf((failure) => failure.code === "NoSuchKey", () => Effect.void),
      Effect.mapError(requestError(context, "delete", key))
    )
  })

  // The objects are listed first, then deleted in batches: one DeleteObjects request per `deleteBatchSize` keys.
  const deletePrefix = Effect.fn("S3ObjectStore.deletePrefix")(function*(prefix: string) {
    yield* validFolder(prefix, { root: false }).pipe(Effect.mapError(refusedKey("deletePrefix")))
    const keys = (yield* listAll("deletePrefix", prefix)).map((object) => object.key)
    for (let start = 0; start < keys.length; start += deleteBatchSize) {
      const batch = keys.slice(start, start + deleteBatchSize)
      const answer = yield* request((abortSignal) =>
        client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true } }),
          { abortSignal }
        )
      ).pipe(Effect.mapError(requestError(context, "deletePrefix", prefix)))
      // A key deleted meanwhile (NoSuchKey on some compatible servers) is as good as deleted.
      const refused = (answer.Errors ?? []).filter((error) => error.Code !== "NoSuchKey")
      const first = refused[0]
      if (first !== undefined) {
        return yield* storeError(
          context,
          "deletePrefix",
          prefix,
          `DeleteObjects refused ${refused.length} of ${batch.length} keys (first ${first.Key ?? "?"}: ${first.Code ?? "?"} ${first.Message ?? ""})`
        )
      }
    }
    return keys.length
  })

  const listFolders = Effect.fn("S3ObjectStore.listFolders")(function*(prefix: string) {
    yield* validFolder(prefix, { root: true }).pipe(Effect.mapError(refusedKey("listFolders")))
    const found: Array<string> = []
    let next = Option.none<string>()
    do {
      const page = yield* listPage("listFolders", prefix, Option.getOrUndefined(next), "/")
      for (const { Prefix: folder } of page.folders) {
        // As in `list`: a folder name no key could hold (written by other tools) is left out.
        if (folder.startsWith(prefix) && folder.endsWith("/") && isObjectKey(folder.slice(0, -1))) found.push(folder)
      }
      next = page.next
    } while (Option.isSome(next))
    return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  })

  return ObjectStore.of({
    presignPut: presign("presignPut"),
    presignGet: presign("presignGet"),
    put,
    get,
    head,
    list,
    delete: remove,
    deletePrefix,
    listFolders
  })
})

/**
 * `ObjectStore` on the bucket of the S3_* settings (`s3-config.ts`); fails at start, naming the variable, when one
 * is missing or bad.
 */
export const S3ObjectStoreLive: Layer.Layer<ObjectStore, ObjectStoreError> = Layer.effect(
  ObjectStore,
  Effect.gen(function*() {
    const settings = yield* S3Config.pipe(Effect.mapError((error) =>
      new ObjectStoreError({
        operation: "configure",
        key: "",
        message: "the S3 object store (OBJECT_STORE=s3) needs S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, " +
          `and valid S3_* values: ${error.message}`
      })
    ))
    return yield* makeS3ObjectStore(settings)
  })
)
