import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import { presignedUrl } from "../../layers/storage/disk/presigned-urls-live.ts"
import type { SignedMethod } from "../../services/presigned-urls.ts"
import { ObjectStore } from "../../services/object-store.ts"
import { assertProblem } from "../support/api-fixtures.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { download, putChunked, send, sendRaw } from "../support/storage-http.ts"
import { bytes, exists, filesUnder } from "../support/disk-store.ts"

const secret = Redacted.make("test-storage-signing-key-0123456789abcdef")

const presign = (method: SignedMethod, key: string, expiresIn: Duration.Duration = Duration.minutes(5)) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    return yield* method === "PUT" ? store.presignPut(key, expiresIn) : store.presignGet(key, expiresIn)
  })

/** A URL with a valid signature for any key and expiry, as only the holder of the signing key could make. */
const forged = (method: SignedMethod, key: string, expires: number) =>
  Effect.map(TestService, (service) => presignedUrl(service.baseUrl, secret, method, key, expires))

const nowSeconds = () => Math.floor(Date.now() / 1000)

let counter = 0
const uniqueKey = (name: string) => `tests/${process.pid}-${++counter}/${name}`

/** Asserts a 403 problem whose text does not echo the URL's signature. */
const assertRefused = (reply: { status: number; text: string }, url: string) => {
  const body = assertProblem(reply as Parameters<typeof assertProblem>[0], 403)
  assert.notInclude(reply.text, new URL(url).searchParams.get("signature") ?? "(none)")
  return body
}

layer(TestServiceLive({ storageSigningKey: Option.some(secret) }), { excludeTestServices: true })("presigned /storage/* URLs", (it) => {
  it.effect("a presigned PUT stores the body (200, no bearer token) and a presigned GET serves it back", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const key = uniqueKey("posts.json")
      const body = JSON.stringify([{ id: "p1", text: "Trams are coming" }])
      const put = yield* send("PUT", yield* presign("PUT", key), body)
      assert.strictEqual(put.status, 200, put.text)
      const got = yield* send("GET", yield* presign("GET", key))
      assert.strictEqual(got.status, 200)
      assert.strictEqual(got.text, body)
      assert.strictEqual(got.headers.get("content-type"), "application/json")
      assert.strictEqual(got.headers.get("content-length"), String(Buffer.byteLength(body)))
      // It is a file of this service's home.
      assert.strictEqual(yield* Effect.promise(() => Fs.readFile(NodePath.join(service.home, "objects", key), "utf8")), body)
    }))

  it.effect("markdown is served as text/markdown, anything else as application/octet-stream", () =>
    Effect.gen(function*() {
      for (const [name, type] of [["report.md", "text/markdown"], ["graph.bin", "application/octet-stream"], ["noext", "application/octet-stream"]]) {
        const key = uniqueKey(name!)
        assert.strictEqual((yield* send("PUT", yield* presign("PUT", key), "# x")).status, 200)
        const got = yield* send("GET", yield* presign("GET", key))
        assert.strictEqual(got.headers.get("content-type")?.split(";")[0], type, name)
      }
    }))

  it.effect("uploads may exceed the API's 1 MiB body limit, also streamed without Content-Length; bytes survive exactly", () =>
    Effect.gen(function*() {
      const payload = new Uint8Array(Crypto.randomBytes(3 * 1024 * 1024 + 17))
      const key = uniqueKey("chat_log.json")
      assert.strictEqual((yield* send("PUT", yield* presign("PUT", key), payload)).status, 200)
      const got = yield* download(yield* presign("GET", key))
      assert.strictEqual(got.status, 200)
      assert.isTrue(Buffer.from(got.body).equals(Buffer.from(payload)), "the downloaded bytes differ")
      const streamedKey = uniqueKey("trades.json")
      assert.strictEqual((yield* putChunked(yield* presign("PUT", streamedKey), payload)).status, 200)
      assert.isTrue(Buffer.from((yield* download(yield* presign("GET", streamedKey))).body).equals(Buffer.from(payload)))
    }))

  it.effect("a second PUT replaces the object", () =>
    Effect.gen(function*() {
      const key = uniqueKey("posts.json")
      const url = yield* presign("PUT", key)
      yield* send("PUT", url, "first, longer version")
      yield* send("PUT", url, "second")
      assert.strictEqual((yield* send("GET", yield* presign("GET", key))).text, "second")
    }))

  it.effect("a GET of a missing object is a 404 problem", () =>
    Effect.gen(function*() {
      const reply = yield* send("GET", yield* presign("GET", uniqueKey("nothing.json")))
      assertProblem(reply, 404, "object-not-found")
    }))

  it.effect("a tampered signature, another key, another method, a moved expiry or no signature is a 403; nothing is stored", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const store = yield* ObjectStore
      const key = uniqueKey("posts.json")
      const putUrl = yield* presign("PUT", key)
      const url = new URL(putUrl)
      const signature = url.searchParams.get("signature")!
      const flipped = signature.slice(0, -1) + (signature.endsWith("0") ? "1" : "0")
      const attempts: Array<readonly [string, string, string]> = [
        ["tampered signature", "PUT", putUrl.replace(signature, flipped)],
        ["truncated signature", "PUT", putUrl.replace(signature, signature.slice(0, 10))],
        ["another key, same signature", "PUT", putUrl.replace(key, uniqueKey("posts.json"))],
        ["a PUT URL used to GET", "GET", putUrl],
        ["a GET URL used to PUT", "PUT", yield* presign("GET", key)],
        ["a longer expiry", "PUT", putUrl.replace(/expires=\d+/, `expires=${nowSeconds() + 86_400}`)],
        ["a method rewritten in the query", "GET", putUrl.replace("method=PUT", "method=GET")],
        ["no query at all", "PUT", `${service.baseUrl}/storage/${key}`],
        ["no signature", "PUT", putUrl.replace(/&signature=[0-9a-f]+/, "")]
      ]
      for (const [what, method, attempt] of attempts) {
        const reply = yield* send(method, attempt, "pwned")
        assert.strictEqual(reply.status, 403, `${what}: ${reply.text}`)
        assertRefused(reply, attempt)
      }
      assert.isTrue(Option.isNone(yield* store.head(key)), "a refused PUT stored something")
    }))

  it.effect("an expired URL is a 403 that says so, for PUT and GET", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore
      const key = uniqueKey("posts.json")
      yield* store.put(key, bytes("[]"), "application/json")
      const urls: ReadonlyArray<readonly [SignedMethod, string]> = [
        ["PUT", yield* presign("PUT", key, Duration.zero)],
        ["GET", yield* presign("GET", key, Duration.zero)],
        ["PUT", yield* forged("PUT", key, nowSeconds() - 60)],
        ["GET", yield* forged("GET", key, nowSeconds() - 1)]
      ]
      for (const [method, url] of urls) {
        const reply = yield* send(method, url, method === "PUT" ? "late" : undefined)
        const body = assertRefused(reply, url)
        assert.strictEqual(body.type, "urn:fishcloud:problem:url-expired")
        assert.include(body.detail, "expired")
      }
      assert.strictEqual((yield* send("GET", yield* forged("GET", key, nowSeconds() + 60))).text, "[]", "the object is unchanged")
    }))

  it.effect("path tricks are refused even with a valid signature, and nothing outside the store is written or read", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const escape = `escape-${Crypto.randomBytes(4).toString("hex")}.json`
      const home = service.home
      yield* Effect.promise(() => Fs.writeFile(NodePath.join(home, "outside.json"), "outside"))
      const before = yield* filesUnder(home)
      const tricks = [`../${escape}`, `a/../../${escape}`, `%2e%2e/${escape}`, `..%2f${escape}`, `a//${escape}`, `a\\..\\..\\${escape}`, "../outside.json", "%2e%2e/outside.json"]
      for (const key of tricks) {
        const expires = nowSeconds() + 300
        for (const method of ["PUT", "GET"] as const) {
          const path = new URL(presignedUrl("http://h", secret, method, key, expires)).search
          const signed = yield* sendRaw(service.baseUrl, method, `/storage/${key}${path}`, method === "PUT" ? "pwned" : undefined)
          assertProblem(signed, 400, "invalid-object-key")
          const unsigned = yield* sendRaw(service.baseUrl, method, `/storage/${key}?method=${method}&expires=${expires}&signature=00`)
          assertProblem(unsigned, 403, "url-signature")
        }
      }
      assert.deepStrictEqual(yield* filesUnder(home), before, "a file appeared in the service's home")
      for (const dir of [home, NodePath.dirname(home), NodePath.join(home, "objects")]) {
        assert.isFalse(yield* exists(NodePath.join(dir, escape)), `${escape} was written in ${dir}`)
      }
      // A signed key that is well-formed but names a folder, not an object, is simply missing.
      const folderUrl = yield* forged("GET", "tests", nowSeconds() + 60)
      assertProblem(yield* send("GET", folderUrl), 404, "object-not-found")
    }))
})

layer(TestServiceLive({ maxUploadBytes: 2048 }), { excludeTestServices: true })("the upload size limit", (it) => {
  it.effect("an upload over MAX_UPLOAD_BYTES is a 413 problem, declared or streamed, and nothing is stored", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore
      const key = uniqueKey("posts.json")
      const declared = yield* send("PUT", yield* presign("PUT", key), new Uint8Array(4096))
      const problem = assertProblem(declared, 413)
      assert.include(problem.detail, "2048")
      const streamed = yield* putChunked(yield* presign("PUT", key), new Uint8Array(64 * 1024))
      assertProblem(streamed, 413)
      assert.isTrue(Option.isNone(yield* store.head(key)))
      const service = yield* TestService
      assert.deepStrictEqual((yield* filesUnder(NodePath.join(service.home, "objects"))).filter((file) => file.includes("~")), [], "an unfinished upload was left behind")
    }))

  it.effect("an upload of exactly MAX_UPLOAD_BYTES is stored", () =>
    Effect.gen(function*() {
      const key = uniqueKey("posts.json")
      assert.strictEqual((yield* send("PUT", yield* presign("PUT", key), new Uint8Array(2048).fill(7))).status, 200)
      assert.strictEqual((yield* download(yield* presign("GET", key))).body.length, 2048)
    }))
})
