import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted, Schema } from "effect"
import { ChatEntry } from "../../src/domain/artifacts.ts"
import { inferStage, roundsIn } from "../../src/lifecycle/poll-signals.ts"
import { fakeLlm, get, jobRequest, post, startWorker, waitUntilDone } from "../support/pod-worker.ts"

/** The enum of a tool parameter in the request the worker sent, if that tool was offered. */
const offered = (body: any, tool: string, parameter: string): ReadonlyArray<string> | undefined => {
  const found = (body.tools as Array<any>).find((t) => t.function.name === tool)
  return found?.function.parameters.properties[parameter]?.enum
}

/**
 * The fake model's script: call 1 fails with a 500 (retried), call 6 is malformed; otherwise the agents cycle
 * through post, trade, follow and reply, with ids picked from what the worker offered.
 */
const scripted = (n: number, body: any) => {
  if (n === 1) return { status: 500 }
  if (n === 6) return { tool: "trade", args: "{\"market_id\": \"m1\", \"side\": " }
  const agent = String(body.messages[0].content).split(".")[0]
  switch (n % 4) {
    case 0: {
      const posts = offered(body, "reply", "post_id")
      if (posts !== undefined) return { tool: "reply", args: JSON.stringify({ post_id: posts[0], text: `Reply from the model (${agent})` }) }
      return { tool: "post", args: JSON.stringify({ text: `Post from the model (${agent})`, market_id: "m1" }) }
    }
    case 1:
      return { tool: "trade", args: JSON.stringify({ market_id: "m2", side: "YES", shares: 6 }) }
    case 2: {
      const agents = offered(body, "follow", "agent_id")
      if (agents !== undefined) return { tool: "follow", args: JSON.stringify({ agent_id: agents[0] }) }
      return { tool: "idle", args: "{}" }
    }
    default:
      return { tool: "post", args: JSON.stringify({ text: `Post from the model (${agent})`, market_id: "m1" }) }
  }
}

const chatOf = (status: { chat_log?: string }) =>
  Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(ChatEntry)))(status.chat_log)

describe("pod worker with an LLM backend", () => {
  it.live("health is 503 waiting_for_vllm until the backend answers /models, then 200", () =>
    Effect.gen(function*() {
      const llm = yield* fakeLlm(scripted)
      const worker = yield* startWorker({ llmBaseUrl: Option.some(llm.url) })
      const waiting = yield* get(`${worker.url}/health`)
      assert.strictEqual(waiting.status, 503)
      assert.deepStrictEqual(waiting.json, { status: "waiting_for_vllm", vllm_ready: false, job_status: "idle" })
      llm.state.ready = true
      const ready = yield* get(`${worker.url}/health`)
      assert.strictEqual(ready.status, 200)
      assert.deepStrictEqual(ready.json, { status: "ok", vllm_ready: true, job_status: "idle" })
    }))

  it.live("health is 503 when nothing listens at LLM_BASE_URL", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ llmBaseUrl: Option.some("http://127.0.0.1:9/v1") })
      const reply = yield* get(`${worker.url}/health`)
      assert.strictEqual(reply.status, 503)
      assert.strictEqual(reply.json.status, "waiting_for_vllm")
    }))

  it.live("agents act through tool calls: a failed call is retried and logged, a malformed one becomes idle", () =>
    Effect.gen(function*() {
      const llm = yield* fakeLlm(scripted)
      llm.state.ready = true
      const worker = yield* startWorker({
        llmBaseUrl: Option.some(llm.url),
        llmApiKey: Option.some(Redacted.make("test-llm-key")),
        llmConcurrency: 1
      })
      const rounds = 4
      assert.strictEqual((yield* post(`${worker.url}/job`, jobRequest({ max_rounds: rounds, target_agents: 4 }))).status, 200)
      const done = yield* waitUntilDone(worker.url)
      assert.strictEqual(done.status, "completed", done.error)

      // 4 agents x 4 rounds decisions, plus the retried first call.
      assert.strictEqual(llm.calls.length, rounds * 4 + 1)
      assert.isTrue(llm.calls.every((c) => c.authorization === "Bearer test-llm-key"))
      assert.isTrue(llm.calls.every((c) => c.body.model === "fake-model"), "the model the backend lists")
      const firstCall = llm.calls[0]!.body
      assert.sameMembers(firstCall.tools.map((t: any) => t.function.name), ["post", "follow", "trade", "idle"])
      assert.match(firstCall.messages[1].content, /Will the council approve the tram line by June\?/)

      const chat = chatOf(done)
      assert.strictEqual(chat.length, rounds * 4)
      const byAction = (action: ChatEntry["action"]) => chat.filter((e) => e.action === action)
      assert.isTrue(byAction("post").some((e) => e.content.startsWith("Post from the model (You are ")))
      assert.isTrue(byAction("reply").some((e) => e.content.startsWith("Reply from the model")))
      assert.isAbove(byAction("follow").length, 0)
      assert.isTrue(byAction("trade").some((e) => e.target === "m2" && e.content.startsWith("bought 6 YES on m2")))
      assert.isAbove(byAction("idle").length, 0, "the malformed call")

      const lines: ReadonlyArray<string> = (yield* get(`${worker.url}/logs?tail=1000&source=pipeline`)).json.lines
      assert.isTrue(lines.some((l) => /llm\.chat transient error attempt=1 agent=a\d round=1 status=500/.test(l)))
      assert.strictEqual(lines.filter((l) => l.includes("llm.chat malformed tool call")).length, 1)
      assert.strictEqual(lines.filter((l) => l.includes("llm.chat ok")).length, rounds * 4 - 1)
      assert.strictEqual(inferStage(lines), 5)
      assert.deepStrictEqual(roundsIn(lines), { round: rounds, total: rounds })
      assert.isFalse(lines.some((l) => l.includes("test-llm-key")))
    }))

  it.live("a backend that refuses the request (400) fails the job with the reason instead of running idle agents", () =>
    Effect.gen(function*() {
      const llm = yield* fakeLlm(() => ({ status: 400 }))
      llm.state.ready = true
      const worker = yield* startWorker({ llmBaseUrl: Option.some(llm.url), llmModelName: Option.some("served-name") })
      yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 3, target_agents: 2 }))
      const done = yield* waitUntilDone(worker.url)
      assert.strictEqual(done.status, "failed")
      assert.match(done.error ?? "", /^LLM call failed for agent=a\d round=1: status=400$/)
      assert.strictEqual(llm.calls[0]!.body.model, "served-name")
    }))

  it.live("a backend that keeps failing is tried 3 times per call, then the job fails", () =>
    Effect.gen(function*() {
      const llm = yield* fakeLlm(() => ({ status: 503 }))
      llm.state.ready = true
      const worker = yield* startWorker({ llmBaseUrl: Option.some(llm.url), llmConcurrency: 1 })
      yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 3, target_agents: 2 }))
      const done = yield* waitUntilDone(worker.url)
      assert.strictEqual(done.status, "failed")
      assert.match(done.error ?? "", /after 3 attempts: status=503$/)
      assert.strictEqual(llm.calls.length, 3)
      const lines: ReadonlyArray<string> = (yield* get(`${worker.url}/logs?tail=100&source=pipeline`)).json.lines
      assert.strictEqual(lines.filter((l) => l.includes("llm.chat transient error")).length, 2, "the retried failures")
    }))
})
