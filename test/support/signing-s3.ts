/**
 * fauxqs (`fake-s3.ts`) behind a loopback proxy that checks AWS Signature V4 the way S3 does, for one access key and
 * secret: a request signed with another secret gets 403 `SignatureDoesNotMatch`, an unknown key 403
 * `InvalidAccessKeyId`. fauxqs checks no signature, so without this no test could show what a wrong S3 secret does.
 * Both header-signed requests and presigned URLs (query-signed) are checked; the payload hash is taken as declared.
 */
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import { Effect } from "effect"
import { fakeS3, type FakeS3 } from "./fake-s3.ts"
import { scopedLoopbackServer } from "./loopback-server.ts"

interface SigningS3 {
  /** The proxy, to give S3_ENDPOINT: `http://127.0.0.1:{port}`. */
  readonly endpoint: string
  /** The server behind it (buckets are made there, without signatures). */
  readonly backend: FakeS3
}

const hmac = (key: Crypto.BinaryLike, text: string) => Crypto.createHmac("sha256", key).update(text).digest()
const sha256 = (text: string) => Crypto.createHash("sha256").update(text).digest("hex")

/** The query's `name=value` pairs as sent (already URI-encoded by the signer), `name` alone meaning an empty value. */
const rawPairs = (query: string) =>
  query === "" ? [] : query.split("&").map((pair) => {
    const at = pair.indexOf("=")
    return at < 0 ? [pair, ""] as const : [pair.slice(0, at), pair.slice(at + 1)] as const
  })

interface Signed {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly amzDate: string
  readonly signedHeaders: ReadonlyArray<string>
  readonly signature: string
  readonly payloadHash: string
  readonly pairs: ReadonlyArray<readonly [string, string]>
}

const header = (request: Http.IncomingMessage, name: string) => {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(",") : value ?? ""
}

/** The signature's parts from the Authorization header or the presigned query; undefined when unsigned. */
const signedParts = (request: Http.IncomingMessage, query: string): Signed | undefined => {
  const pairs = rawPairs(query)
  const authorization = header(request, "authorization")
  const fromHeader = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/
    .exec(authorization)
  if (fromHeader !== null) {
    const [, accessKeyId = "", date = "", region = "", headers = "", signature = ""] = fromHeader
    return {
      accessKeyId,
      date,
      region,
      amzDate: header(request, "x-amz-date"),
      signedHeaders: headers.split(";"),
      signature,
      payloadHash: header(request, "x-amz-content-sha256") || "UNSIGNED-PAYLOAD",
      pairs
    }
  }
  const get = (name: string) => decodeURIComponent(pairs.find(([key]) => key === name)?.[1] ?? "")
  const credential = /^([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request$/.exec(get("X-Amz-Credential"))
  if (credential === null) return undefined
  const [, accessKeyId = "", date = "", region = ""] = credential
  return {
    accessKeyId,
    date,
    region,
    amzDate: get("X-Amz-Date"),
    signedHeaders: get("X-Amz-SignedHeaders").split(";"),
    signature: get("X-Amz-Signature"),
    payloadHash: "UNSIGNED-PAYLOAD",
    pairs: pairs.filter(([key]) => key !== "X-Amz-Signature")
  }
}

/** The signature S3 would compute for the request with `secret`. */
const expectedSignature = (request: Http.IncomingMessage, path: string, signed: Signed, secret: string) => {
  const query = [...signed.pairs].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`).join("&")
  const headers = signed.signedHeaders.map((name) => `${name}:${header(request, name).trim().replace(/\s+/g, " ")}\n`).join("")
  const canonical = [request.method ?? "GET", path, query, headers, signed.signedHeaders.join(";"), signed.payloadHash].join("\n")
  const scope = `${signed.date}/${signed.region}/s3/aws4_request`
  const toSign = ["AWS4-HMAC-SHA256", signed.amzDate, scope, sha256(canonical)].join("\n")
  const key = ["s3", "aws4_request"].reduce((k, part) => hmac(k, part), hmac(hmac(`AWS4${secret}`, signed.date), signed.region))
  return hmac(key, toSign).toString("hex")
}

const refuse = (response: Http.ServerResponse, code: string, message: string) => {
  response.writeHead(403, { "content-type": "application/xml" })
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`)
}

/** Starts fauxqs and the checking proxy in front of it for the current scope. */
export const signingS3 = (credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }) =>
  Effect.gen(function*() {
    const backend = yield* fakeS3
    const target = new URL(backend.endpoint)
    const handler: Http.RequestListener = (request, response) => {
      const [path = "/", query = ""] = (request.url ?? "/").split("?", 2)
      const signed = signedParts(request, query)
      if (signed === undefined) return refuse(response, "AccessDenied", "Anonymous access is forbidden")
      if (signed.accessKeyId !== credentials.accessKeyId) {
        return refuse(response, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
      }
      if (signed.signature !== expectedSignature(request, path, signed, credentials.secretAccessKey)) {
        return refuse(response, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
      }
      const forwarded = Http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        }
      )
      forwarded.on("error", () => {
        response.writeHead(502)
        response.end()
      })
      request.pipe(forwarded)
    }
    const { url } = yield* scopedLoopbackServer(handler)
    return { endpoint: url, backend } satisfies SigningS3
  })
