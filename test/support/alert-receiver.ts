/**
 * A webhook receiver for alerts on 127.0.0.1 (a real HTTP server, started as a scoped resource): it records every
 * request (method, path, headers, the raw body as received) and answers the next scripted reply, else 200. And
 * `verifySignature`, the check a receiver makes, written here from the documented scheme (README "Alerts"), not
 * from the code under test, so the two have to agree.
 */
import * as NodeCrypto from "node:crypto"
import * as Http from "node:http"
import { Effect } from "effect"
import { scopedLoopbackServer, withBody } from "./loopback-server.ts"

export type AlertReceiverReply =
  /** This status, with a short body. */
  | { readonly kind: "status"; readonly status: number; readonly body?: string }
  /** Never answers (client timeouts). */
  | { readonly kind: "hang" }

export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  /** The body bytes as received, decoded as UTF-8. */
  readonly body: string
}

/** Starts the receiver; `url` is a webhook URL with a path, as ALERT_WEBHOOK_URL would be. */
export const startAlertReceiver = Effect.gen(function*() {
  const requests: Array<ReceivedRequest> = []
  const script: Array<AlertReceiverReply> = []
  const hanging = new Set<Http.ServerResponse>()

  const handle = (req: Http.IncomingMessage, res: Http.ServerResponse, body: string) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body })
    const reply = script.shift() ?? { kind: "status", status: 200, body: "ok" }
    if (reply.kind === "hang") {
      hanging.add(res)
      return
    }
    res.writeHead(reply.status, { "content-type": "text/plain" })
    res.end(reply.body ?? `scripted ${reply.status}`)
  }

  const { url } = yield* scopedLoopbackServer(withBody(handle))
  // Destroys held-back responses; added after the server so that (finalizers run last-in first) it runs before
  // the server closes.
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      for (const res of hanging) res.destroy()
    })
  )
  return {
    url: `${url}/hooks/fishcloud`,
    requests,
    /** Queues replies, used up in order by the next requests. */
    script: (...replies: ReadonlyArray<AlertReceiverReply>) => {
      script.push(...replies)
    }
  }
})

/**
 * Whether `request` carries a valid signature made with `secret` (README "Alerts"): `X-Fishcloud-Signature` is
 * `sha256=` and the hex HMAC-SHA256 of `<X-Fishcloud-Timestamp>.<raw body>`, compared in constant time.
 */
export const verifySignature = (secret: string, request: ReceivedRequest): boolean => {
  const timestamp = request.headers["x-fishcloud-timestamp"]
  const signature = request.headers["x-fishcloud-signature"]
  if (typeof timestamp !== "string" || typeof signature !== "string" || !/^\d+$/.test(timestamp)) return false
  const expected = Buffer.from(
    `sha256=${NodeCrypto.createHmac("sha256", secret).update(`${timestamp}.${request.body}`, "utf8").digest("hex")}`
  )
  const given = Buffer.from(signature)
  return given.length === expected.length && NodeCrypto.timingSafeEqual(given, expected)
}
