/**
 * Uploads each artifact with HTTP PUT to its presigned URL (`docs/lifecycle.md`, "The pod worker protocol"): Content-
 * Type application/json, up to `POD_WORKER_UPLOAD_ATTEMPTS` (30) attempts, `POD_WORKER_UPLOAD_RETRY_MS` (2 s) apart,
 * each limited to `POD_WORKER_UPLOAD_TIMEOUT_MS` (60 s).
 * A URL's query string is its credential: log lines name the file, never the URL.
 */
import { Data, Duration, Effect, Ref, Schedule } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import type { SimDataFile } from "../domain/artifacts.ts"
import type { EncodedArtifacts } from "./pod-artifacts.ts"
import { PodWorkerSettings } from "./pod-worker-config.ts"
import { PipelineLog } from "./logs.ts"

class UploadFailed extends Data.TaggedError("UploadFailed")<{ readonly detail: string }> {}

export interface UploadOutcome {
  readonly file: SimDataFile
  readonly uploaded: boolean
  readonly attempts: number
}

/** The retry policy between upload attempts: `attempts - 1` more after the first, spaced by the setting. */
const uploadRetrySchedule = (retryMs: number, attempts: number) =>
  Schedule.max([Schedule.spaced(Duration.millis(retryMs)), Schedule.recurs(attempts - 1)])

const uploadOne = Effect.fn("PodWorker.upload")(function*(file: SimDataFile, url: string, body: string) {
  const http = yield* HttpClient.HttpClient
  const settings = yield* PodWorkerSettings
  const log = yield* PipelineLog
  const attempts = yield* Ref.make(0)
  const put = Effect.gen(function*() {
    const n = yield* Ref.updateAndGet(attempts, (k) => k + 1)
    const response = yield* http.execute(HttpClientRequest.put(url).pipe(HttpClientRequest.bodyText(body, "application/json"))).pipe(
      Effect.mapError((error) => new UploadFailed({ detail: `request failed (${error.reason._tag})` })),
      // The store's answer body says nothing we use; reading it releases the connection.
      Effect.tap((response) => response.text.pipe(Effect.orElseSucceed(() => ""))),
      Effect.timeoutOrElse({
        duration: Duration.millis(settings.uploadTimeoutMs),
        orElse: () => Effect.fail(new UploadFailed({ detail: `timed out after ${settings.uploadTimeoutMs}ms` }))
      }),
      Effect.tapError((error) => log.append(`upload ${file} attempt=${n} failed: ${error.detail}`))
    )
    if (response.status < 200 || response.status >= 300) {
      yield* log.append(`upload ${file} attempt=${n} failed: status=${response.status}`)
      return yield* new UploadFailed({ detail: `status=${response.status}` })
    }
    yield* log.append(`upload ${file} ok status=${response.status} bytes=${Buffer.byteLength(body)} attempt=${n}`)
  })
  const uploaded = yield* put.pipe(
    Effect.retry(uploadRetrySchedule(settings.uploadRetryMs, settings.uploadAttempts)),
    Effect.as(true),
    Effect.catchTag("UploadFailed", () => Effect.succeed(false))
  )
  return { file, uploaded, attempts: yield* Ref.get(attempts) }
})

/**
 * Uploads every artifact that has a URL. The result says, per file, whether it reached the store; files without a
 * URL are not attempted (and count as not uploaded).
 */
export const uploadArtifacts = Effect.fn("PodWorker.uploadArtifacts")(function*(
  files: EncodedArtifacts,
  urls: Readonly<Record<string, string>>
) {
  const log = yield* PipelineLog
  return yield* Effect.forEach(files, ([file, body]) => {
    const url = urls[file]
    if (url === undefined) {
      return log.append(`upload ${file} skipped: no upload URL`).pipe(
        Effect.as<UploadOutcome>({ file, uploaded: false, attempts: 0 })
      )
    }
    return uploadOne(file, url, body)
  }, { concurrency: 4 })
})
