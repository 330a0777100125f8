/**
 * What the AWS SDK throws, turned into `ObjectStoreError`s an operator can act on. Every text that reaches a message
 * is scrubbed first: the secret key and the credential parts of a presigned query never appear in one (invariant 7).
 */
import { S3ServiceException } from "@aws-sdk/client-s3"
import { Data, Predicate, Redacted } from "effect"
import { ObjectStoreError } from "../../../services/object-store.ts"

/**
 * A failed request, before it becomes an `ObjectStoreError`: the S3 error code (or a network code such as
 * ECONNREFUSED), the HTTP status when there was a response, and a one-line summary (not yet scrubbed).
 */
export class S3Failure extends Data.TaggedError("S3Failure")<{
  readonly code: string
  readonly status: number | undefined
  readonly summary: string
}> {}

export const classify = (cause: unknown): S3Failure => {
  if (cause instanceof S3ServiceException) {
    const status = cause.$metadata.httpStatusCode
    // A response without a body (every HEAD) has no message; the SDK then says "UnknownError".
    const message = cause.message !== "" && cause.message !== "UnknownError" ? `: ${cause.message}` : ""
    return new S3Failure({ code: cause.name, status, summary: `${cause.name}${status === undefined ? "" : ` (HTTP ${status})`}${message}` })
  }
  if (cause instanceof Error) {
    const code = Predicate.hasProperty(cause, "code") && Predicate.isString(cause.code) ? cause.code : cause.name
    // An answer the SDK could not read (e.g. not XML) still has a status in $metadata.
    const metadata = Predicate.hasProperty(cause, "$metadata") ? cause.$metadata : undefined
    const status = Predicate.hasProperty(metadata, "httpStatusCode") && Predicate.isNumber(metadata.httpStatusCode)
      ? metadata.httpStatusCode
      : undefined
    // The SDK's second line only says where to find the raw response.
    const message = cause.message.split("\n")[0] ?? ""
    const summary = `${message.includes(code) ? "" : `${code}: `}${message}${status === undefined ? "" : ` (HTTP ${status})`}`
    return new S3Failure({ code, status, summary })
  }
  return new S3Failure({ code: "Unknown", status: undefined, summary: String(cause) })
}

/** The object (or, on HEAD, possibly the bucket) is not there. */
export const isNotFound = (failure: S3Failure) =>
  failure.code === "NoSuchKey" || (failure.code === "NotFound" && failure.status === 404)

/** The bucket is missing: S3 says NoSuchBucket when there is a body, a bare 404 NotFound on HEAD. */
const isMissingBucket = (failure: S3Failure) => failure.code === "NoSuchBucket"

const credentialCodes = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthorizationHeaderMalformed", "ExpiredToken"])

const presignedParameter = /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"'<>]+/gi

/** `text` without the secret key or the credential parameters of a presigned URL. */
const scrub = (secretAccessKey: Redacted.Redacted<string>) => (text: string): string => {
  const secret = Redacted.value(secretAccessKey)
  const withoutSecret = secret === "" ? text : text.split(secret).join("<redacted>")
  return withoutSecret.replace(presignedParameter, "$1<redacted>")
}

export interface FailureContext {
  readonly bucket: string
  readonly secretAccessKey: Redacted.Redacted<string>
}

/** The reason, in words, with a hint at the setting to check. */
const explain = (bucket: string, failure: S3Failure): string => {
  if (isMissingBucket(failure)) return `bucket ${bucket} does not exist`
  if (credentialCodes.has(failure.code)) {
    return `the S3 credentials were refused (${failure.summary}); check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY`
  }
  if (failure.status === 403) {
    return `access to bucket ${bucket} was denied (${failure.summary}); check the credentials and the bucket's policy`
  }
  return failure.summary
}

export const storeError = (context: FailureContext, operation: string, key: string, reason: string) =>
  new ObjectStoreError({
    operation,
    key,
    message: scrub(context.secretAccessKey)(
      `${key === "" ? `${operation} ${context.bucket}` : `${operation} of ${key} in bucket ${context.bucket}`} failed: ${reason}`
    )
  })

/** The `ObjectStoreError` for a failed request, naming the operation, the key and the bucket. */
export const requestError = (context: FailureContext, operation: string, key: string) => (failure: S3Failure) =>
  storeError(context, operation, key, explain(context.bucket, failure))
