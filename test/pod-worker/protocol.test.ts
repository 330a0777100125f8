import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { ChatEntry } from "../../src/domain/artifacts.ts"
import { HealthReply, LogsReply, StatusReply } from "../../src/domain/pod-protocol.ts"
import { inferStage, roundsIn } from "../../src/lifecycle/poll-signals.ts"
import { get, jobRequest, post, startWorker, tempDir, waitUntilDone } from "../support/pod-worker.ts"

const decode = <S extends Schema.Codec<unknown, unknown>>(schema: S, value: unknown) =>
  Schema.decodeUnknownSync(schema)(value) as S["Type"]

const pipelineLines = (workerUrl: string, tail = 1000) =>
  Effect.map(get(`${workerUrl}/logs?tail=${tail}&source=pipeline`), (reply) => decode(LogsReply, reply.json).lines)

describe("pod worker protocol", () => {
  it.live("offline: healthy at once, accepts one job, refuses a second while it runs, then completes with its results", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 50 })

      const health = yield* get(`${worker.url}/health`)
      assert.strictEqual(health.status, 200)
      assert.deepStrictEqual(decode(HealthReply, health.json), { status: "ok", vllm_ready: true, job_status: "idle" })
      assert.deepStrictEqual((yield* get(`${worker.url}/status`)).json, { status: "idle" })

      const first = yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 8 }))
      assert.strictEqual(first.status, 200)
      assert.deepStrictEqual(first.json, { status: "accepted" })
      const second = yield* post(`${worker.url}/job`, jobRequest())
      assert.strictEqual(second.status, 409)
      assert.deepStrictEqual(second.json, { error: "A job is already running" })
      assert.strictEqual((yield* get(`${worker.url}/status`)).json.status, "running")
      assert.strictEqual((yield* get(`${worker.url}/health`)).json.job_status, "running")

      const done = decode(StatusReply, yield* waitUntilDone(worker.url))
      assert.strictEqual(done.status, "completed", done.error)
      assert.strictEqual(done.structured, "{}")
      assert.strictEqual(done.sim_data_uploaded, false, "no upload URLs were given")
      const chat = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(ChatEntry)))(done.chat_log)
      assert.strictEqual(chat.length, 8 * 6, "one chat entry per agent per round")
      assert.deepStrictEqual([...new Set(chat.map((e) => e.round))], [1, 2, 3, 4, 5, 6, 7, 8])
      assert.isTrue(chat.some((e) => e.action === "post") && chat.some((e) => e.action === "trade"))
      const graph = JSON.parse(done.graph_data ?? "null")
      assert.includeMembers(graph.nodes.map((n: { name: string }) => n.name), ["Port Authority of Rotterdam", "Dock Workers Union"])

      // After completion a new job is accepted and replaces the old state.
      const again = yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 2, random_seed: 8 }))
      assert.strictEqual(again.status, 200)
      const redone = yield* waitUntilDone(worker.url)
      assert.strictEqual(redone.status, "completed")
      const rechat = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(ChatEntry)))(redone.chat_log)
      assert.strictEqual(Math.max(...rechat.map((e) => e.round)), 2)
    }))

  it.live("logs: the orchestrator's own parsers see every stage in order and every round, while it runs and after", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 50 })
      const rounds = 10
      assert.strictEqual((yield* post(`${worker.url}/job`, jobRequest({ max_rounds: rounds }))).status, 200)

      // What the poll loop does: the last 20 pipeline lines, over and over.
      const stagesSeen: Array<number> = []
      const roundsSeen: Array<number> = []
      const deadline = Date.now() + 30_000
      while (true) {
        assert.isBelow(Date.now(), deadline, "the 10-round job finished within 30 s")
        const reply = yield* get(`${worker.url}/logs?tail=20&source=pipeline`)
        const batch = decode(LogsReply, reply.json)
        const stage = inferStage(batch.lines)
        const round = roundsIn(batch.lines)
        if (stage !== undefined) stagesSeen.push(stage)
        if (round.round !== undefined) {
          roundsSeen.push(round.round)
          assert.strictEqual(round.total, rounds)
        }
        if (batch.job_status !== "running") break
        yield* Effect.sleep("15 millis")
      }
      assert.include(stagesSeen, 3, "the simulation stage was visible while it ran")
      assert.isTrue(roundsSeen.some((r) => r > 0 && r < rounds), `a round in progress was visible: ${roundsSeen}`)
      assert.deepStrictEqual([...roundsSeen].sort((a, b) => a - b), roundsSeen, "rounds only go up")

      const lines = yield* pipelineLines(worker.url)
      // Each stage marker, alone, reads as its stage; they come in order 1..5 (5 = the summary's report_pending).
      const stageOfLine = lines.map((line) => inferStage([line])).filter((s) => s !== undefined)
      assert.deepStrictEqual([...new Set(stageOfLine)], [1, 2, 3, 4, 5])
      assert.deepStrictEqual(
        [...stageOfLine].sort((a, b) => a - b),
        stageOfLine,
        "no line moves the stage backwards"
      )
      assert.strictEqual(inferStage(lines), 5)
      const roundLines = lines.filter((line) => line.includes("round="))
      assert.deepStrictEqual(roundLines.map((line) => roundsIn([line]).round), Array.from({ length: rounds }, (_, i) => i + 1))
      assert.deepStrictEqual(roundsIn(lines), { round: rounds, total: rounds })
      assert.isTrue(lines.every((line) => line.startsWith("[pipeline] ")))
      assert.isTrue(lines[lines.length - 1]!.includes("report_pending"), "the summary line comes last")
      assert.isFalse(lines.some((line) => /transient error/i.test(line)), "nothing for the circuit breaker to count")
    }))

  it.live("logs: tail and source are honoured, vLLM lines come first with their prefix; partial chat tails the chat log", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("pod-worker-vllm-")
      const vllmLog = NodePath.join(dir, "vllm.log")
      yield* Effect.promise(() => Fs.writeFile(vllmLog, "INFO starting vLLM engine\nINFO Uvicorn running on http://0.0.0.0:8000\n"))
      const worker = yield* startWorker({ vllmLogFile: Option.some(vllmLog) })
      assert.deepStrictEqual((yield* get(`${worker.url}/logs`)).json, {
        lines: ["[vllm] INFO starting vLLM engine", "[vllm] INFO Uvicorn running on http://0.0.0.0:8000"],
        total_lines: 2,
        job_status: "idle"
      })
      assert.deepStrictEqual((yield* get(`${worker.url}/partial_chat`)).json, { messages: [] })

      yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 4 }))
      yield* waitUntilDone(worker.url)
      const all = decode(LogsReply, (yield* get(`${worker.url}/logs?tail=1000`)).json)
      assert.deepStrictEqual(all.lines.slice(0, 2), ["[vllm] INFO starting vLLM engine", "[vllm] INFO Uvicorn running on http://0.0.0.0:8000"])
      assert.strictEqual(all.lines[2], "[pipeline] [stage] Generating ontology")
      assert.strictEqual(all.total_lines, all.lines.length)
      const three = decode(LogsReply, (yield* get(`${worker.url}/logs?tail=3`)).json)
      assert.strictEqual(three.lines.length, 3)
      assert.deepStrictEqual(three.lines, all.lines.slice(-3))
      const vllmOnly = decode(LogsReply, (yield* get(`${worker.url}/logs?source=vllm&tail=1`)).json)
      assert.deepStrictEqual(vllmOnly.lines, ["[vllm] INFO Uvicorn running on http://0.0.0.0:8000"])

      const chat = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(ChatEntry)))(
        (yield* get(`${worker.url}/status`)).json.chat_log
      )
      assert.deepStrictEqual((yield* get(`${worker.url}/partial_chat?tail=4`)).json, { messages: chat.slice(-4) })
      assert.strictEqual(chat.length, 4 * 6)
      assert.deepStrictEqual((yield* get(`${worker.url}/partial_chat`)).json, { messages: chat.slice(-20) }, "20 by default")

      assert.strictEqual((yield* get(`${worker.url}/logs?tail=many`)).status, 400)
      assert.strictEqual((yield* get(`${worker.url}/logs?source=stderr`)).status, 400)
    }))

  it.live("a bad job body is a 400 that names the problem, and leaves the worker idle", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker()
      const notJson = yield* post(`${worker.url}/job`, "{not json")
      assert.strictEqual(notJson.status, 400)
      assert.match(notJson.json.error, /job request/)
      const missing = yield* post(`${worker.url}/job`, { goal: "x" })
      assert.strictEqual(missing.status, 400)
      assert.match(missing.json.error, /seed_text/)
      const noRounds = yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 0 }))
      assert.strictEqual(noRounds.status, 400)
      assert.match(noRounds.json.error, /max_rounds/)
      assert.deepStrictEqual((yield* get(`${worker.url}/status`)).json, { status: "idle" })
    }))

  it.live("a restarted worker on the same data dir still serves the last job's logs, status and chat", () =>
    Effect.gen(function*() {
      const home = yield* tempDir("pod-worker-restart-")
      const before = yield* Effect.scoped(Effect.gen(function*() {
        const worker = yield* startWorker({ home: Option.some(home) })
        yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 3 }))
        const done = yield* waitUntilDone(worker.url)
        return { done, lines: yield* pipelineLines(worker.url), chat: (yield* get(`${worker.url}/partial_chat?tail=5`)).json }
      }))
      assert.strictEqual(before.done.status, "completed")

      const worker = yield* startWorker({ home: Option.some(home) })
      assert.deepStrictEqual((yield* get(`${worker.url}/status`)).json, before.done)
      assert.deepStrictEqual(yield* pipelineLines(worker.url), before.lines)
      assert.deepStrictEqual((yield* get(`${worker.url}/partial_chat?tail=5`)).json, before.chat)
      assert.strictEqual((yield* get(`${worker.url}/health`)).json.job_status, "completed")
    }))
})
