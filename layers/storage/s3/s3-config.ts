/**
 * The S3_* settings of the S3 object store (`S3ObjectStoreLive`). The composition root builds that store only when
 * OBJECT_STORE=s3, so only then are they read and the bucket and credentials required.
 */
import { Config, Schema } from "effect"
import { httpUrl, secret } from "../../../src/config.ts"

/** Bucket names: S3's characters (legacy us-east-1 names included), never a `/` that would change the path. */
const s3Bucket = Config.schema(
  Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._-]{3,255}$/, {
    message: "must be a bucket name: 3 to 255 of the characters a-z A-Z 0-9 . _ -"
  })),
  "S3_BUCKET"
)

export const S3Config = Config.all({
  /**
   * S3_ENDPOINT, e.g. `http://127.0.0.1:9000` (MinIO): http(s), no query, no trailing slash; unset = AWS's own
   * endpoint for the region.
   */
  endpoint: httpUrl("S3_ENDPOINT", "http://127.0.0.1:9000").pipe(Config.option),
  bucket: s3Bucket,
  accessKeyId: Config.NonEmptyString("S3_ACCESS_KEY_ID"),
  secretAccessKey: secret("S3_SECRET_ACCESS_KEY"),
  region: Config.NonEmptyString("S3_REGION").pipe(Config.withDefault("us-east-1")),
  /** `bucket` in the path rather than the host name: what MinIO and most self-hosted servers need. */
  forcePathStyle: Config.Boolean("S3_FORCE_PATH_STYLE").pipe(Config.withDefault(true)),
  /** Create the bucket at start if it does not exist (MinIO development setups). */
  createBucket: Config.Boolean("S3_CREATE_BUCKET").pipe(Config.withDefault(false))
})
export type S3Settings = Config.Success<typeof S3Config>
