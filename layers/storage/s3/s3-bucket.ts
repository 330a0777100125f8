/**
 * The bucket the S3 store works in: checked at start, so a wrong name or missing bucket fails start-up with a
 * message naming it, and created when S3_CREATE_BUCKET=true (MinIO development setups).
 */
import { type BucketLocationConstraint, CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3"
import { Effect } from "effect"
import { classify, type FailureContext, isNotFound, requestError, storeError } from "./s3-errors.ts"

/** S3 wants the region named when a bucket is created anywhere but us-east-1. */
const defaultRegion = "us-east-1"

/** Whether the bucket exists; a 404 means no, any other failure (403, unreachable...) is an S3Failure. */
export const bucketExists = (client: S3Client, bucket: string) =>
  Effect.tryPromise({
    try: (signal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }),
    catch: classify
  }).pipe(
    Effect.as(true),
    Effect.catchIf((failure) => isNotFound(failure) || failure.code === "NoSuchBucket", () => Effect.succeed(false))
  )

const createBucket = (client: S3Client, context: FailureContext, region: string) =>
  Effect.tryPromise({
    try: (signal) =>
      client.send(
        new CreateBucketCommand({
          Bucket: context.bucket,
          ...(region === defaultRegion
            ? {}
            // The SDK's type lists AWS's regions; MinIO and others accept their own names.
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } })
        }),
        { abortSignal: signal }
      ),
    catch: classify
  }).pipe(
    // Another runner starting at the same time may have created it first.
    Effect.catchIf((failure) => failure.code === "BucketAlreadyOwnedByYou", () => Effect.void),
    Effect.mapError(requestError(context, "create bucket", "")),
    Effect.andThen(Effect.logInfo(`created the bucket ${context.bucket}`))
  )

/** Succeeds when the bucket is there (creating it first if `create`); otherwise says which bucket is missing. */
export const ensureBucket = Effect.fn("S3ObjectStore.ensureBucket")(function*(
  client: S3Client,
  context: FailureContext,
  options: { readonly create: boolean; readonly region: string }
) {
  const exists = yield* bucketExists(client, context.bucket).pipe(Effect.mapError(requestError(context, "check bucket", "")))
  if (exists) return
  if (options.create) return yield* createBucket(client, context, options.region)
  return yield* storeError(
    context,
    "check bucket",
    "",
    `bucket ${context.bucket} does not exist; create it, or set S3_CREATE_BUCKET=true to create it at start`
  )
})
