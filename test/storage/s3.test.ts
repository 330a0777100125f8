/**
 * The S3 object store through the real AWS SDK, against fauxqs on loopback (`test/support/fake-s3.ts`), one fresh
 * server and bucket per test.
 *
 * fauxqs checks NO signatures and NO expiry. Nothing here claims that S3 refuses a tampered, foreign or expired
 * URL: these tests cover the requests the store sends (their shape, pages, checksums) and how it reads the answers
 * (missing keys, missing buckets, a dead server), and that its errors never carry a secret.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { makeS3ObjectStore, maxPresignSeconds, S3ObjectStoreLive, type S3ObjectStoreOptions } from "../../layers/storage/s3/s3-store.ts"
import { S3Config } from "../../layers/storage/s3/s3-config.ts"
import { classify, requestError } from "../../layers/storage/s3/s3-errors.ts"
import { ObjectStore, type ObjectStoreError } from "../../services/object-store.ts"
import { ServiceConfig } from "../../src/config.ts"
import { configFromEnv } from "../support/config-env.ts"
import { type FakeS3, fakeS3, s3Options, testSecret, uniqueBucket } from "../support/fake-s3.ts"
import { invalidKeys, invalidPrefixes, objectStoreContract } from "../support/object-store-contract.ts"

/** The S3 store on `options` (the service reads them from S3_*; these tests pass their own). */
const s3StoreOn = (options: S3ObjectStoreOptions) => Layer.effect(ObjectStore, makeS3ObjectStore(options))

const bytes = (value: string) => new TextEncoder().encode(value)

/** The S3 store on a fresh bucket of a fresh fauxqs, for one test. */
const freshS3Store = (overrides: Partial<S3ObjectStoreOptions> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const server = yield* fakeS3
    const bucket = uniqueBucket()
    yield* server.createBucket(bucket)
    return s3StoreOn(s3Options(server, bucket, overrides))
  }))

objectStoreContract("S3 store", freshS3Store())
// The same behaviours when every listing takes one request per key.
objectStoreContract("S3 store, one key per list page", freshS3Store({ listPageSize: 1 }))

/** Runs `body` with a fresh fauxqs, a bucket on it and the S3 store on that bucket. */
const withS3 = <A, E>(
  body: (server: FakeS3, bucket: string) => Effect.Effect<A, E, ObjectStore>,
  overrides: Partial<S3ObjectStoreOptions> = {}
) =>
  Effect.gen(function*() {
    const server = yield* fakeS3
    const bucket = uniqueBucket()
    yield* server.createBucket(bucket)
    return yield* body(server, bucket).pipe(Effect.provide(s3StoreOn(s3Options(server, bucket, overrides))))
  })

/** The message of an error must not give away the secret key or a URL's signature. */
const assertNoSecrets = (error: ObjectStoreError, signatures: ReadonlyArray<string> = []) => {
  assert.notInclude(error.message, testSecret)
  for (const signature of signatures) assert.notInclude(error.message, signature)
  assert.notMatch(error.message, /X-Amz-Signature=[0-9a-f]/i)
}

/** Building a store layer is enough to start it. */
const startStore = Effect.gen(function*() {
  return yield* ObjectStore
})

const fetchStatus = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, contentType: response.headers.get("content-type"), body: await response.text() }
  })

describe("S3 object store against fauxqs", () => {
  it.effect("list follows continuation tokens: 7 objects at 2 per page take 4 requests and come back sorted", () =>
    withS3((server) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        const keys = ["f", "b", "g", "a", "e", "c", "d"].map((name) => `sim-data/5/${name}.json`)
        for (const key of keys) yield* store.put(key, bytes(key), "application/json")
        yield* store.put("sim-data/50/other.json", bytes("{}"), "application/json")
        const before = yield* server.requests
        const listed = yield* store.list("sim-data/5/")
        assert.strictEqual((yield* server.requests) - before, 4)
        assert.deepStrictEqual(listed.map((object) => object.key), [...keys].sort())
        assert.isTrue(listed.every((object) => object.size === "sim-data/5/x.json".length))
      }), { listPageSize: 2 }))

  it.effect("deletePrefix lists once, then deletes in DeleteObjects batches: 5 keys at 2 a batch take 3 requests", () =>
    withS3((server) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        for (const name of ["a", "b", "c", "d", "report"]) yield* store.put(`sim-data/8/${name}.json`, bytes(name), "application/json")
        yield* store.put("sim-data/80/posts.json", bytes("{}"), "application/json")
        const before = yield* server.requests
        assert.strictEqual(yield* store.deletePrefix("sim-data/8/"), 5)
        assert.strictEqual((yield* server.requests) - before, 1 + 3)
        assert.deepStrictEqual((yield* store.list("sim-data/")).map((object) => object.key), ["sim-data/80/posts.json"])
      }), { deleteBatchSize: 2 }))

  it.effect("a presigned PUT URL is path-style, signs only host, lives as asked and carries no x-amz-checksum parameter", () =>
    withS3((server, bucket) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        const url = new URL(yield* store.presignPut("sim-data/7/posts.json", Duration.hours(13)))
        assert.strictEqual(`${url.origin}${url.pathname}`, `${server.endpoint}/${bucket}/sim-data/7/posts.json`)
        assert.strictEqual(url.searchParams.get("X-Amz-Expires"), String(13 * 3600))
        assert.strictEqual(url.searchParams.get("X-Amz-SignedHeaders"), "host")
        assert.match(url.searchParams.get("X-Amz-Signature") ?? "", /^[0-9a-f]{64}$/)
        const names = [...url.searchParams.keys()].map((name) => name.toLowerCase())
        assert.isFalse(names.some((name) => name.startsWith("x-amz-checksum")), names.join(", "))
        assert.isFalse(names.includes("x-amz-sdk-checksum-algorithm"), names.join(", "))
        const get = new URL(yield* store.presignGet("sim-data/7/posts.json", Duration.seconds(90)))
        assert.strictEqual(get.searchParams.get("X-Amz-Expires"), "90")
      })))

  it.effect("presigned URLs live 1 s to 7 days; other lifetimes are refused", () =>
    withS3(() =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        const week = new URL(yield* store.presignGet("a.json", Duration.seconds(maxPresignSeconds)))
        assert.strictEqual(week.searchParams.get("X-Amz-Expires"), String(maxPresignSeconds))
        // Part of a second rounds up rather than down to a URL that is already dead.
        const short = new URL(yield* store.presignGet("a.json", Duration.millis(1500)))
        assert.strictEqual(short.searchParams.get("X-Amz-Expires"), "2")
        for (const expiresIn of [Duration.days(8), Duration.zero, Duration.infinity]) {
          const error = yield* Effect.flip(store.presignPut("a.json", expiresIn))
          assert.strictEqual(error.operation, "presignPut")
          assert.include(error.message, "7 days")
        }
      })))

  it.effect("put keeps the content type, and a presigned PUT keeps the uploader's: presigned GETs answer with them", () =>
    withS3(() =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* store.put("reports/3.md", bytes("# Report"), "text/markdown; charset=utf-8")
        const report = yield* fetchStatus(yield* store.presignGet("reports/3.md", Duration.minutes(5)))
        assert.deepStrictEqual(report, { status: 200, contentType: "text/markdown; charset=utf-8", body: "# Report" })
        const putUrl = yield* store.presignPut("sim-data/3/posts.json", Duration.minutes(5))
        const uploaded = yield* fetchStatus(putUrl, { method: "PUT", body: "[]", headers: { "content-type": "application/json" } })
        assert.strictEqual(uploaded.status, 200)
        const posts = yield* fetchStatus(yield* store.presignGet("sim-data/3/posts.json", Duration.minutes(5)))
        assert.deepStrictEqual(posts, { status: 200, contentType: "application/json", body: "[]" })
      })))

  it.effect("invalid keys and prefixes are refused before any request reaches the server", () =>
    withS3((server) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        const before = yield* server.requests
        for (const key of invalidKeys) {
          yield* Effect.flip(store.put(key, bytes("{}"), "application/json"))
          yield* Effect.flip(store.get(key))
          yield* Effect.flip(store.head(key))
          yield* Effect.flip(store.delete(key))
          yield* Effect.flip(store.presignPut(key, Duration.hours(1)))
          yield* Effect.flip(store.presignGet(key, Duration.hours(1)))
        }
        for (const prefix of invalidPrefixes) {
          yield* Effect.flip(store.list(prefix))
          yield* Effect.flip(store.listFolders(prefix))
          yield* Effect.flip(store.deletePrefix(prefix))
        }
        yield* Effect.flip(store.deletePrefix(""))
        assert.strictEqual((yield* server.requests) - before, 0)
      })))

  it.effect("a missing bucket fails start-up with an error naming it and S3_CREATE_BUCKET, without the secret", () =>
    Effect.gen(function*() {
      const server = yield* fakeS3
      const bucket = uniqueBucket("not-created")
      const error = yield* Effect.flip(Effect.provide(startStore, s3StoreOn(s3Options(server, bucket))))
      assert.strictEqual(error._tag, "ObjectStoreError")
      assert.include(error.message, `bucket ${bucket} does not exist`)
      assert.include(error.message, "S3_CREATE_BUCKET")
      assertNoSecrets(error)
    }))

  it.effect("a list page size or delete batch size outside 1..1000 fails start-up before any request", () =>
    Effect.gen(function*() {
      const server = yield* fakeS3
      for (const listPageSize of [0, 1001, 2.5]) {
        const error = yield* Effect.flip(Effect.provide(startStore, s3StoreOn(s3Options(server, uniqueBucket(), { listPageSize }))))
        assert.include(error.message, "listPageSize must be an integer from 1 to 1000")
        const batch = yield* Effect.flip(Effect.provide(startStore, s3StoreOn(s3Options(server, uniqueBucket(), { deleteBatchSize: listPageSize }))))
        assert.include(batch.message, "deleteBatchSize must be an integer from 1 to 1000")
      }
      assert.strictEqual(yield* server.requests, 0)
    }))

  it.effect("with createBucket the bucket is made at start; starting again over it keeps its objects", () =>
    Effect.gen(function*() {
      const server = yield* fakeS3
      const options = s3Options(server, uniqueBucket("created"), { createBucket: true })
      yield* Effect.gen(function*() {
        yield* (yield* ObjectStore).put("reports/1.md", bytes("kept"), "text/markdown")
      }).pipe(Effect.provide(s3StoreOn(options)))
      const again = yield* Effect.gen(function*() {
        return yield* (yield* ObjectStore).get("reports/1.md")
      }).pipe(Effect.provide(s3StoreOn(options)))
      assert.deepStrictEqual(again, Option.some(bytes("kept")))
    }))

  it.effect("a bucket removed after start: every method fails naming the bucket; head does not report a missing object", () =>
    withS3((server, bucket) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* server.deleteBucket(bucket)
        const errors = [
          yield* Effect.flip(store.put("a.json", bytes("{}"), "application/json")),
          yield* Effect.flip(store.get("a.json")),
          yield* Effect.flip(store.head("a.json")),
          yield* Effect.flip(store.list("")),
          yield* Effect.flip(store.delete("a.json")),
          yield* Effect.flip(store.deletePrefix("sim-data/1/")),
          yield* Effect.flip(store.listFolders("sim-data/"))
        ]
        assert.deepStrictEqual(errors.map((error) => error.operation), ["put", "get", "head", "list", "delete", "deletePrefix", "listFolders"])
        for (const error of errors) {
          assert.include(error.message, `bucket ${bucket} does not exist`, error.message)
          assertNoSecrets(error)
        }
      })))

  it.effect("a stopped server: every method fails with an ObjectStoreError holding neither the secret nor a signature", () =>
    withS3((server) =>
      Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* store.put("sim-data/1/posts.json", bytes("[]"), "application/json")
        const presigned = new URL(yield* store.presignGet("sim-data/1/posts.json", Duration.hours(1)))
        const signature = presigned.searchParams.get("X-Amz-Signature") ?? ""
        assert.lengthOf(signature, 64)
        yield* server.stop
        const errors = [
          yield* Effect.flip(store.put("sim-data/1/posts.json", bytes("[]"), "application/json")),
          yield* Effect.flip(store.get("sim-data/1/posts.json")),
          yield* Effect.flip(store.head("sim-data/1/posts.json")),
          yield* Effect.flip(store.list("sim-data/")),
          yield* Effect.flip(store.delete("sim-data/1/posts.json")),
          yield* Effect.flip(store.deletePrefix("sim-data/1/")),
          yield* Effect.flip(store.listFolders("sim-data/"))
        ]
        for (const error of errors) {
          assert.strictEqual(error._tag, "ObjectStoreError")
          assert.include(error.message, "ECONNREFUSED", error.message)
          assertNoSecrets(error, [signature])
        }
        // Signing is local: URLs can still be made, they just lead nowhere until the server is back.
        assert.isTrue((yield* store.presignPut("sim-data/1/posts.json", Duration.hours(1))).startsWith(server.endpoint))
      })))

  it("messages are scrubbed of the secret and of presigned credentials even when a cause contains them", () => {
    const url = `http://s3.test/b/k?X-Amz-Credential=AKID%2F20261129&X-Amz-Signature=${"ab".repeat(32)}&X-Amz-Expires=60`
    const toError = requestError({ bucket: "b", secretAccessKey: Redacted.make(testSecret) }, "get", "k")
    const error = toError(classify(new Error(`request to ${url} failed; key ${testSecret}`)))
    assertNoSecrets(error, ["ab".repeat(32), "AKID"])
    assert.include(error.message, "X-Amz-Signature=<redacted>")
    assert.include(error.message, "X-Amz-Expires=60")
  })
})

const env = (server: FakeS3, bucket: string, extra: Record<string, string> = {}): Record<string, string> => ({
  OBJECT_STORE: "s3",
  S3_ENDPOINT: `${server.endpoint}/`,
  S3_BUCKET: bucket,
  S3_ACCESS_KEY_ID: "fishcloud-test-key",
  S3_SECRET_ACCESS_KEY: testSecret,
  ...extra
})

/** The S3_* settings, as S3ObjectStoreLive reads them. */
const loadS3 = (variables: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* S3Config
  }).pipe(Effect.provide(configFromEnv(variables)))

/** The service settings, whose OBJECT_STORE the composition root chooses the store by. */
const loadService = (variables: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* ServiceConfig
  }).pipe(Effect.provide(configFromEnv(variables)))

/** The error S3ObjectStoreLive fails to start with, on `variables`. */
const startFailure = (variables: Record<string, string>) =>
  Effect.flip(Effect.provide(startStore, S3ObjectStoreLive.pipe(Layer.provide(configFromEnv(variables)))))

describe("S3 settings", () => {
  it.effect("S3ObjectStoreLive reads the S3_* settings (S3_CREATE_BUCKET makes the bucket)", () =>
    Effect.gen(function*() {
      const server = yield* fakeS3
      const bucket = uniqueBucket("settings")
      const got = yield* Effect.gen(function*() {
        const store = yield* ObjectStore
        yield* store.put("sim-data/1/profiles.json", bytes("[]"), "application/json")
        return yield* store.list("sim-data/")
      }).pipe(Effect.provide(S3ObjectStoreLive.pipe(Layer.provide(configFromEnv(env(server, bucket, { S3_CREATE_BUCKET: "true" }))))))
      assert.deepStrictEqual(got, [{ key: "sim-data/1/profiles.json", size: 2 }])
    }))

  it.effect("S3ObjectStoreLive without the S3_* settings fails naming the variables to set", () =>
    Effect.gen(function*() {
      const error = yield* startFailure({})
      assert.include(String(error), "OBJECT_STORE=s3")
      assert.include(String(error), "S3_BUCKET")
    }))

  it.effect("defaults: the disk store, and the service settings read no S3 variable", () =>
    Effect.gen(function*() {
      const config = yield* loadService({ S3_ENDPOINT: "not a url", S3_BUCKET: "x" })
      assert.strictEqual(config.objectStore, "disk")
      assert.notProperty(config, "s3")
    }))

  it.effect("OBJECT_STORE=s3: us-east-1, path-style, no bucket creation, AWS's endpoint unless S3_ENDPOINT; the secret redacted", () =>
    Effect.gen(function*() {
      const variables = { OBJECT_STORE: "s3", S3_BUCKET: "sims", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: testSecret }
      assert.strictEqual((yield* loadService(variables)).objectStore, "s3")
      const s3 = yield* loadS3(variables)
      assert.deepStrictEqual(
        { bucket: s3.bucket, region: s3.region, forcePathStyle: s3.forcePathStyle, createBucket: s3.createBucket, endpoint: s3.endpoint },
        { bucket: "sims", region: "us-east-1", forcePathStyle: true, createBucket: false, endpoint: Option.none() }
      )
      assert.strictEqual(Redacted.value(s3.secretAccessKey), testSecret)
      assert.notInclude(JSON.stringify(s3), testSecret)
      assert.notInclude(String(s3.secretAccessKey), testSecret)
      const custom = yield* loadS3({
        OBJECT_STORE: "s3",
        S3_BUCKET: "sims",
        S3_ACCESS_KEY_ID: "id",
        S3_SECRET_ACCESS_KEY: testSecret,
        S3_ENDPOINT: "http://minio.local:9000/",
        S3_REGION: "eu-west-3",
        S3_FORCE_PATH_STYLE: "false",
        S3_CREATE_BUCKET: "true"
      })
      assert.deepStrictEqual(custom.endpoint, Option.some("http://minio.local:9000"))
      assert.strictEqual(custom.region, "eu-west-3")
      assert.isFalse(custom.forcePathStyle)
      assert.isTrue(custom.createBucket)
    }))

  const complete = { OBJECT_STORE: "s3", S3_BUCKET: "sims", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: testSecret }
  const cases: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ["S3_BUCKET", { ...complete, S3_BUCKET: "" }],
    ["S3_ACCESS_KEY_ID", { OBJECT_STORE: "s3", S3_BUCKET: "sims", S3_SECRET_ACCESS_KEY: testSecret }],
    ["S3_SECRET_ACCESS_KEY", { OBJECT_STORE: "s3", S3_BUCKET: "sims", S3_ACCESS_KEY_ID: "id" }],
    ["S3_BUCKET", { OBJECT_STORE: "s3", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: testSecret }],
    ["S3_BUCKET", { ...complete, S3_BUCKET: "a/b" }],
    ["OBJECT_STORE", { ...complete, OBJECT_STORE: "minio" }],
    ["S3_ENDPOINT", { ...complete, S3_ENDPOINT: "minio.local:9000" }],
    ["S3_FORCE_PATH_STYLE", { ...complete, S3_FORCE_PATH_STYLE: "maybe" }],
    ["S3_CREATE_BUCKET", { ...complete, S3_CREATE_BUCKET: "sometimes" }]
  ]
  for (const [name, variables] of cases) {
    it.effect(`${JSON.stringify({ ...variables, S3_SECRET_ACCESS_KEY: "…" })} fails start-up naming ${name}, never echoing the secret`, () =>
      Effect.gen(function*() {
        // OBJECT_STORE is a service setting; the S3_* ones fail the settings and the store's start alike
        const errors = name === "OBJECT_STORE"
          ? [yield* Effect.flip(loadService(variables))]
          : [yield* Effect.flip(loadS3(variables)), yield* startFailure(variables)]
        for (const error of errors.map(String)) {
          assert.include(error, name)
          assert.notInclude(error, testSecret)
        }
      }))
  }
})
