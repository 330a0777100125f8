/**
 * The worker's bearer secret, on the worker as it runs on a pod (a process from its entry point): it refuses to start
 * without POD_WORKER_SECRET, and answers every route but `GET /health` with 401 unless the request carries it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { get, jobRequest, post, runWorkerToExit, spawnWorker, tempDir, testWorkerSecret } from "../support/pod-worker.ts"

const wrongSecret = Redacted.make(`${Redacted.value(testWorkerSecret)}-old`)

/** A raw request with exactly these headers (`get` and `post` only send a well-formed bearer token or none). */
const withHeaders = (url: string, headers: Record<string, string>) =>
  Effect.promise(async () => (await fetch(url, { headers })).status)

describe("pod worker authentication", () => {
  it.live("refuses to start without POD_WORKER_SECRET, or with a short one, saying why and never echoing it", () =>
    Effect.gen(function*() {
      const home = yield* tempDir("pod-worker-auth-")
      const unset = yield* runWorkerToExit(home, { POD_WORKER_SECRET: undefined })
      assert.notStrictEqual(unset.code, 0, unset.output)
      assert.include(unset.output, "POD_WORKER_SECRET is not set")
      assert.notInclude(unset.output, "pod worker listening")

      const blank = yield* runWorkerToExit(home, { POD_WORKER_SECRET: "" })
      assert.notStrictEqual(blank.code, 0)
      assert.include(blank.output, "POD_WORKER_SECRET is not set")

      const short = yield* runWorkerToExit(home, { POD_WORKER_SECRET: "hunter2-xyz" })
      assert.notStrictEqual(short.code, 0)
      assert.include(short.output, "must be at least 16 characters")
      assert.include(short.output, "POD_WORKER_SECRET")
      assert.notInclude(short.output, "hunter2-xyz", "the refused value is not printed")
    }), 60_000)

  it.live("every route but GET /health answers 401 without the secret or with a wrong one, and changes nothing", () =>
    Effect.gen(function*() {
      const home = yield* tempDir("pod-worker-auth-")
      const worker = yield* spawnWorker(home)
      const routes = ["/status", "/logs?tail=5", "/logs?source=vllm", "/partial_chat", "/job", "/no-such-route", "/health/../status"]
      for (const secret of [null, wrongSecret]) {
        for (const route of routes) {
          const reply = yield* get(`${worker.url}${route}`, secret)
          assert.strictEqual(reply.status, 401, `GET ${route} with ${secret === null ? "no" : "a wrong"} secret`)
          assert.match(reply.json.error, /^Unauthorized/, "the protocol's error body")
        }
        const submit = yield* post(`${worker.url}/job`, jobRequest(), secret)
        assert.strictEqual(submit.status, 401)
        assert.deepStrictEqual(Object.keys(submit.json), ["error"])
        assert.strictEqual((yield* post(`${worker.url}/health`, {}, secret)).status, 401, "only GET /health is open")
      }
      const secret = Redacted.value(testWorkerSecret)
      for (const headers of [{ authorization: secret }, { authorization: `Basic ${secret}` }, { authorization: `Bearer ${secret} extra` }, { "x-api-key": secret }]) {
        assert.strictEqual(yield* withHeaders(`${worker.url}/status`, headers), 401, JSON.stringify(Object.keys(headers)))
      }

      // /health stays open: it tells nothing but readiness.
      const health = yield* get(`${worker.url}/health`, null)
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.json.job_status, "idle", "the refused submits started nothing")
      assert.strictEqual((yield* get(`${worker.url}/health`, wrongSecret)).status, 200)

      // With the secret, the protocol as before (the scheme's case does not matter).
      assert.deepStrictEqual((yield* get(`${worker.url}/status`)).json, { status: "idle" })
      assert.strictEqual(yield* withHeaders(`${worker.url}/status`, { authorization: `bearer ${secret}` }), 200)
      assert.strictEqual((yield* get(`${worker.url}/logs?tail=5`)).status, 200)
      assert.strictEqual((yield* get(`${worker.url}/partial_chat`)).status, 200)
      assert.strictEqual((yield* get(`${worker.url}/no-such-route`)).status, 404)
      assert.strictEqual((yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 1 }))).status, 200)

      assert.notInclude(worker.output(), secret, "the worker never prints its secret")
    }), 60_000)
})
