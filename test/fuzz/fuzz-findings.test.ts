/**
 * Regression tests for what the fuzz suite (api-fuzz.test.ts) found, one per finding, as ordinary examples: a share
 * token, a user or token name or a tier's vllm_args holding NUL was a 500 (Postgres text cannot hold NUL) and a NUL
 * in a path lost the request's audit entry; requests Node's parser refuses (a malformed Content-Length, raw non-ASCII
 * bytes in the path, a head over 16 KiB) were answered with an empty body, not a problem.
 */
import * as Net from "node:net"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { assertBadRequest, assertProblem, unique } from "../support/api-fixtures.ts"
import { send } from "../support/fuzz-http.ts"
import { TestService, TestServiceLive } from "../support/service.ts"

/** Writes `head` on a raw socket (what no HTTP client would send) and reads the answer until the server closes. */
const rawExchange = (port: number, head: string) =>
  Effect.callback<string>((resume) => {
    const socket = Net.connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("close", () => resume(Effect.succeed(Buffer.concat(chunks).toString("latin1"))))
    socket.on("error", () => socket.destroy())
    socket.write(head, "latin1")
  })

/** The status line and the body of a raw HTTP/1.1 answer. */
const parse = (answer: string) => {
  const [head = "", body = ""] = answer.split("\r\n\r\n")
  return { statusLine: head.split("\r\n")[0] ?? "", head: head.toLowerCase(), body: JSON.parse(body) as Record<string, unknown> }
}

layer(TestServiceLive(), { excludeTestServices: true })("what the fuzzer found", (it) => {
  it.effect("a share token holding NUL is an unknown link (404), on the API and on the share page", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      assertProblem(yield* service.call("GET", "/api/share/%00"), 404, "share-not-found")
      assertProblem(yield* service.call("GET", "/api/share/a%00b"), 404, "share-not-found")
      const page = yield* service.call("GET", "/s/%00")
      assert.strictEqual(page.status, 404)
      assert.include(page.headers.get("content-type") ?? "", "text/html")
    }))

  it.effect("a user or token name holding NUL is a 400 on every administrators' endpoint, not a database error", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("findings-admin"), { admin: true })
      const quotas = { max_live_jobs: 1, max_live_jobs_large: 1, monthly_spend_cap_usd: null }
      assertProblem(yield* service.call("POST", "/api/admin/users", { token, json: { name: "a\u0000b" } }), 400)
      assertProblem(yield* service.call("POST", "/api/admin/tokens", { token, json: { user: "\u0000", name: "ci", scope: "read" } }), 400)
      assertProblem(yield* service.call("GET", "/api/admin/tokens?user=%00", { token }), 400)
      assertProblem(yield* service.call("GET", "/api/admin/audit?user=%00", { token }), 400)
      assertProblem(yield* service.call("GET", "/api/admin/quotas/%00", { token }), 400)
      assertProblem(yield* service.call("PUT", "/api/admin/quotas/%00", { token, json: quotas }), 400)
      assertProblem(yield* service.call("GET", "/api/usage?user=%00", { token }), 400)
      // The refused PUT is still in the audit log (its subject with U+FFFD for the NUL), not lost to a database error.
      const audit = yield* service.call("GET", "/api/admin/audit?per_page=50", { token })
      assert.strictEqual(audit.status, 200, audit.text)
      const entries = audit.json.entries as ReadonlyArray<{ route: string; subject: string | null; status: number }>
      const entry = entries.find((entry) => entry.route === "/api/admin/quotas/:user" && entry.subject === "user \ufffd")
      assert.isDefined(entry, audit.text)
      // Recorded with the status the client got: the request's validation refused it.
      assert.strictEqual(entry!.status, 400, audit.text)
    }))

  it.effect("routing with NUL in vllm_args is a 400, not a database error", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const token = yield* service.tokenFor(unique("findings-admin"), { admin: true })
      const routing = { model_id: "m", gpu_type: "g", max_rounds: 1, target_agents: 1, vllm_args: "--x\u0000" }
      assertBadRequest(yield* service.call("PUT", "/api/routing/small", { token, json: routing }), ["payload", "vllm_args"])
    }))

  it.effect("a request Node cannot parse is answered with a 400 problem", () =>
    Effect.gen(function*() {
      const port = Number(new URL((yield* TestService).baseUrl).port)
      for (const head of [
        "GET /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "GET /jobs/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n"
      ]) {
        const answer = parse(yield* rawExchange(port, head))
        assert.strictEqual(answer.statusLine, "HTTP/1.1 400 Bad Request", head)
        assert.include(answer.head, "content-type: application/problem+json")
        assert.deepInclude(answer.body, { status: 400, title: "Bad Request", type: "about:blank" })
      }
    }))

  it.effect("a request head over 16 KiB is answered with a 431 problem", () =>
    Effect.gen(function*() {
      const port = Number(new URL((yield* TestService).baseUrl).port)
      const reply = yield* send(port, { method: "GET", path: "/api/jobs", headers: { "x-padding": "p".repeat(17_000) } }, 10_000)
      assert.strictEqual(reply.status, 431)
      assert.strictEqual(reply.headers["content-type"], "application/problem+json")
      assert.deepInclude(JSON.parse(reply.text), { status: 431, title: "Request Header Fields Too Large" })
    }))
})
