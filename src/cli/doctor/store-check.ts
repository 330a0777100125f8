/**
 * Doctor check 3, the object store: a round trip through the store the service would use (put, get, a presigned
 * GET fetched over HTTP, delete) on a key of its own. The disk store's presigned URLs are served by the service's
 * `/storage` route: when nothing answers at PUBLIC_URL, that part is a warning, not an error.
 */
import * as Crypto from "node:crypto"
import { Duration, Effect, Layer, Option } from "effect"
import { HttpClientRequest } from "effect/http"
import { DiskObjectStoreLive } from "../../../layers/storage/disk/disk-store.ts"
import { S3Config } from "../../../layers/storage/s3/s3-config.ts"
import { ObjectStore, type ObjectStoreError } from "../../../services/object-store.ts"
import { type Finding, publicBaseUrl } from "../../config-checks.ts"
import { type ServiceConfig, Settings } from "../../config.ts"
import { describeError } from "../cli-errors.ts"
import { bounded, exchange, finding } from "./doctor-check.ts"

const check = "object store"

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

/** What to do about a store error, from its words (the S3 store names the cause: `s3-errors.ts`). */
const storeFix = (kind: ServiceConfig["objectStore"], bucket: string, error: ObjectStoreError): string => {
  if (kind === "disk") return "check that FISHCLOUD_HOME is on a writable disk and belongs to the user running fishcloud"
  if (/does not exist/.test(error.message)) {
    return `create the bucket (\`aws s3 mb s3://${bucket}\`, or \`mc mb\` on MinIO), or set S3_CREATE_BUCKET=true so the service creates it`
  }
  if (/credentials were refused|denied/.test(error.message)) {
    return "check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, and that they may get, put, delete and list on the bucket"
  }
  return "check S3_ENDPOINT and S3_REGION, and that this machine reaches the S3 server"
}

interface Probe {
  readonly kind: ServiceConfig["objectStore"]
  /** Where presigned URLs point (named in messages; the URLs themselves carry a signature and are never printed). */
  readonly urlBase: string
}

/** The presigned GET, fetched: ok, or what went wrong. */
const presignedFinding = (probe: Probe, url: string, body: Uint8Array): Effect.Effect<Finding> =>
  exchange(HttpClientRequest.get(url)).pipe(
    Effect.map((answer): Finding => {
      if (answer.status === 200 && sameBytes(answer.body, body)) {
        return { severity: "ok", check, message: `put, get, presigned GET over HTTP (${probe.urlBase}) and delete work (${probe.kind})` }
      }
      const what = answer.status === 200 ? "answered other bytes than were stored" : `answered HTTP ${answer.status}`
      return probe.kind === "disk"
        ? {
          severity: "error",
          check,
          message: `a presigned GET of the disk store ${what} at ${probe.urlBase}`,
          fix: "is the service at PUBLIC_URL this one? It must run with the same FISHCLOUD_HOME and STORAGE_SIGNING_KEY"
        }
        : {
          severity: "error",
          check,
          message: `a presigned GET of the S3 store ${what} at ${probe.urlBase}`,
          fix: "check S3_REGION and S3_FORCE_PATH_STYLE (the URL is signed for them) and this machine's clock"
        }
    }),
    Effect.catch((why) =>
      Effect.succeed<Finding>(
        probe.kind === "disk"
          ? {
            severity: "warning",
            check,
            message: `put, get and delete work (disk), but the service is not running at ${probe.urlBase} (${why}): ` +
              "the presigned GET over HTTP was not checked",
            fix: "run `fishcloud doctor` again while the service runs to check its /storage route"
          }
          : {
            severity: "error",
            check,
            message: `a presigned GET of the S3 store got no answer from ${probe.urlBase}: ${why}`,
            fix: "check S3_ENDPOINT: this machine, the pods and browsers must all reach it"
          }
      )
    )
  )

/** Put, get, presigned GET, delete, head on one key of the store in context. */
const roundTrip = (probe: Probe) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    const key = `doctor/check-${Crypto.randomBytes(6).toString("hex")}.txt`
    const body = new TextEncoder().encode(`fishcloud doctor: ${key}\n`)
    const steps = Effect.gen(function*() {
      yield* store.put(key, body, "text/plain")
      const read = yield* store.get(key)
      if (Option.isNone(read) || !sameBytes(read.value, body)) {
        return finding("error", check, `an object just written (${key}) read back ${Option.isNone(read) ? "missing" : "different"}`)
      }
      return yield* presignedFinding(probe, yield* store.presignGet(key, Duration.minutes(5)), body)
    })
    // On a failure the probe's key is removed as well as can be: the failure is what the check reports.
    const found = yield* steps.pipe(Effect.onError(() => Effect.ignore(store.delete(key))))
    yield* store.delete(key)
    const left = yield* store.head(key)
    if (Option.isSome(left)) return finding("error", check, `an object deleted (${key}) is still there`)
    return found
  })

const failed = (kind: ServiceConfig["objectStore"], bucket = "") => (error: ObjectStoreError): ReadonlyArray<Finding> => [{
  severity: "error",
  check,
  message: `${kind === "s3" ? "S3" : "disk"} store: ${describeError(error)}`,
  fix: storeFix(kind, bucket, error)
}]

export const storeCheck = (settings: ServiceConfig): Effect.Effect<ReadonlyArray<Finding>> => {
  const fixTimeout = settings.objectStore === "s3" ? "check S3_ENDPOINT and that this machine reaches it" : "check FISHCLOUD_HOME's disk"
  if (settings.objectStore === "disk") {
    return roundTrip({ kind: "disk", urlBase: publicBaseUrl(settings) }).pipe(
      Effect.map((finding) => [finding]),
      Effect.provide(DiskObjectStoreLive.pipe(Layer.provide(Layer.succeed(Settings, settings)))),
      Effect.catch((error) => Effect.succeed(failed("disk")(error))),
      bounded(check, fixTimeout)
    )
  }
  return Effect.gen(function*() {
    const s3 = yield* Effect.option(S3Config)
    if (Option.isNone(s3)) {
      return [finding("error", check, "not checked: the S3 settings do not parse (see settings above)")]
    }
    const urlBase = Option.getOrElse(s3.value.endpoint, () => `AWS S3 (${s3.value.region})`)
    const { makeS3ObjectStore } = yield* Effect.promise(() => import("../../../layers/storage/s3/s3-store.ts"))
    return yield* makeS3ObjectStore({ ...s3.value, createBucket: false }).pipe(
      Effect.flatMap((store) => roundTrip({ kind: "s3", urlBase }).pipe(Effect.provideService(ObjectStore, store))),
      Effect.map((finding) => [finding]),
      Effect.scoped,
      Effect.catch((error): Effect.Effect<ReadonlyArray<Finding>> =>
        s3.value.createBucket && /does not exist/.test(error.message)
          ? Effect.succeed([{
            severity: "warning",
            check,
            message: `bucket ${s3.value.bucket} does not exist yet: the service creates it when it starts (S3_CREATE_BUCKET=true)`,
            fix: "start the service once, then run `fishcloud doctor` again to check the round trip"
          }])
          : Effect.succeed(failed("s3", s3.value.bucket)(error))
      )
    )
  }).pipe(bounded(check, fixTimeout))
}
