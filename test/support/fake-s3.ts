/**
 * A local S3-compatible server for the S3 store's tests: fauxqs, in process, on a free loopback port.
 *
 * fauxqs checks NO signatures and NO expiry: a test against it shows that the store sends the right requests and
 * handles the answers (missing keys, missing buckets, pages, a dead server), not that S3 would accept the
 * credentials or refuse an expired or tampered URL. Buckets are made and removed with plain HTTP (fauxqs needs no
 * auth), so the tests do not depend on the layer they test.
 */
import { buildApp } from "fauxqs"
import { Effect, Option, Redacted, Ref, type Scope } from "effect"
import type { S3ObjectStoreOptions } from "../../layers/storage/s3/s3-store.ts"

export interface FakeS3 {
  /** `http://127.0.0.1:{port}` */
  readonly endpoint: string
  /** How many requests the server has received so far. */
  readonly requests: Effect.Effect<number>
  readonly createBucket: (name: string) => Effect.Effect<void>
  /** Removes an (empty) bucket. */
  readonly deleteBucket: (name: string) => Effect.Effect<void>
  /** Stops the server now, e.g. to see how the store fails; the end of the scope stops it anyway. */
  readonly stop: Effect.Effect<void>
}

const expectStatus = (what: string, expected: number) => (response: Response) =>
  response.status === expected
    ? Effect.void
    : Effect.promise(() => response.text()).pipe(Effect.flatMap((text) => Effect.die(new Error(`${what}: HTTP ${response.status} ${text}`))))

/** Starts fauxqs on 127.0.0.1 (never 0.0.0.0) for the current scope. */
export const fakeS3: Effect.Effect<FakeS3, never, Scope.Scope> = Effect.gen(function*() {
  let requests = 0
  const stopped = yield* Ref.make(false)
  const app = buildApp({ logger: false })
  app.addHook("onRequest", async () => {
    requests += 1
  })
  const stop = Ref.getAndSet(stopped, true).pipe(
    Effect.flatMap((already) => (already ? Effect.void : Effect.promise(() => app.close())))
  )
  const port = yield* Effect.acquireRelease(
    Effect.promise(async () => {
      await app.listen({ port: 0, host: "127.0.0.1" })
      const address = app.server.address()
      return address !== null && typeof address === "object" ? address.port : 0
    }),
    () => stop
  )
  const endpoint = `http://127.0.0.1:${port}`
  const bucketRequest = (method: "PUT" | "DELETE", name: string, expected: number) =>
    Effect.promise(() => fetch(`${endpoint}/${name}`, { method })).pipe(Effect.flatMap(expectStatus(`${method} bucket ${name}`, expected)))
  return {
    endpoint,
    requests: Effect.sync(() => requests),
    createBucket: (name) => bucketRequest("PUT", name, 200),
    deleteBucket: (name) => bucketRequest("DELETE", name, 204),
    stop
  } satisfies FakeS3
})

/** The secret the tests' stores sign with: no error message may ever contain it. */
export const testSecret = "fishcloud-test-secret-3f9a8c1e2d7b"

let buckets = 0
/** A bucket name no other test in this process uses. */
export const uniqueBucket = (name = "fishcloud") => `${name}-${process.pid}-${++buckets}`

/** Options for an S3 store on `bucket` of the fake server. */
export const s3Options = (
  server: Pick<FakeS3, "endpoint">,
  bucket: string,
  overrides: Partial<S3ObjectStoreOptions> = {}
): S3ObjectStoreOptions => ({
  endpoint: Option.some(server.endpoint),
  bucket,
  accessKeyId: "fishcloud-test-key",
  secretAccessKey: Redacted.make(testSecret),
  region: "us-east-1",
  forcePathStyle: true,
  createBucket: false,
  ...overrides
})
