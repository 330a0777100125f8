import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { artifactSchemas, type SimDataFile, simDataFiles } from "../../src/domain/artifacts.ts"
import type { JobRequest } from "../../src/domain/pod-protocol.ts"
import { get, jobRequest, post, type Put, startWorker, uploadReceiver, waitUntilDone, type Worker } from "../support/pod-worker.ts"

type Decoded<F extends SimDataFile> = (typeof artifactSchemas)[F]["Type"]

const decodeArtifact = <F extends SimDataFile>(file: F, text: string): Decoded<F> => {
  const schema: Schema.Codec<Decoded<F>, unknown> = Schema.fromJsonString(artifactSchemas[file])
  return Schema.decodeUnknownSync(schema)(text)
}

/** Runs a job to its end and returns the final status and the PUTs it made under `prefix`. */
const runJob = (worker: Worker, receiver: Effect.Success<ReturnType<typeof uploadReceiver>>, prefix: string, request: JobRequest) =>
  Effect.gen(function*() {
    const reply = yield* post(`${worker.url}/job`, { ...request, upload_urls: receiver.urlsFor(prefix, simDataFiles) })
    assert.strictEqual(reply.status, 200)
    const done = yield* waitUntilDone(worker.url)
    const puts = receiver.puts.filter((p) => p.path.startsWith(`/${prefix}/`))
    return { done, puts }
  })

const bodiesByFile = (puts: ReadonlyArray<Put>) =>
  new Map(puts.map((p) => [NodePath.basename(p.path) as SimDataFile, p.body]))

describe("pod worker artifacts", () => {
  it.live("uploads the ten artifacts to their presigned URLs as JSON that decodes, and keeps them in its data dir", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker()
      const receiver = yield* uploadReceiver()
      const { done, puts } = yield* runJob(worker, receiver, "sim-data/41", jobRequest({ max_rounds: 12, target_agents: 8 }))
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(done.sim_data_uploaded, true)

      assert.sameMembers(puts.map((p) => NodePath.basename(p.path)), [...simDataFiles], "each file exactly once")
      for (const put of puts) {
        assert.strictEqual(put.contentType, "application/json")
        assert.strictEqual(put.query, "?X-Amz-Signature=secret-sim-data/41", "the presigned query is sent as given")
      }
      const bodies = bodiesByFile(puts)
      const decoded = <F extends SimDataFile>(file: F) => decodeArtifact(file, bodies.get(file)!)

      // The same bytes are in the worker's data dir.
      for (const file of simDataFiles) {
        assert.strictEqual(yield* Effect.promise(() => Fs.readFile(NodePath.join(worker.home, "results", file), "utf8")), bodies.get(file))
      }

      const profiles = decoded("profiles.json")
      assert.strictEqual(profiles.length, 8)
      assert.includeMembers(profiles.map((p) => p.name), ["Port Authority of Rotterdam", "Dock Workers Union", "ING Bank"])
      assert.isTrue(profiles.every((p) => ["optimistic", "skeptical", "undecided"].includes(p.stance)))
      const chat = decoded("chat_log.json")
      assert.strictEqual(done.chat_log, bodies.get("chat_log.json"), "/status returns the uploaded chat log")
      assert.strictEqual(chat.length, 12 * 8)

      const summary = decoded("engagement_summary.json")
      const posts = decoded("posts.json")
      const trades = decoded("trades.json")
      assert.deepStrictEqual(summary, {
        rounds: 12,
        agents: 8,
        posts: posts.length,
        replies: posts.filter((p) => p.reply_to !== null).length,
        follows: chat.filter((e) => e.action === "follow").length,
        trades: trades.length,
        likes: posts.reduce((sum, p) => sum + p.likes, 0)
      })
      assert.isAbove(summary.posts, 0)
      assert.isAbove(summary.replies, 0)
      assert.isAbove(summary.follows, 0)
      assert.isAbove(summary.likes, 0)
      assert.strictEqual(chat.filter((e) => e.action === "trade").length, trades.length)
      const postIds = new Set(posts.map((p) => p.id))
      for (const reply of posts.filter((p) => p.reply_to !== null)) assert.isTrue(postIds.has(reply.reply_to!))

      // Trades move prices inside [0, 1]; each market's curve ends at its last trade's price.
      assert.isAbove(trades.length, 0)
      const curves = decoded("market_curves.json")
      assert.deepStrictEqual(curves.map((c) => c.market_id), ["m1", "m2"])
      for (const curve of curves) {
        assert.deepStrictEqual(curve.points.map((p) => p.round), Array.from({ length: 13 }, (_, i) => i))
        assert.strictEqual(curve.points[0]!.price_yes, curve.market_id === "m1" ? 0.55 : 0.3)
        const own = trades.filter((t) => t.market_id === curve.market_id)
        let price = curve.points[0]!.price_yes
        for (const trade of own) {
          assert.strictEqual(trade.price_before, price, "a trade starts where the last one left the price")
          assert.isTrue(trade.price_after > 0 && trade.price_after < 1)
          assert.isTrue(trade.side === "YES" ? trade.price_after > trade.price_before : trade.price_after < trade.price_before)
          price = trade.price_after
        }
        if (own.length > 0) assert.strictEqual(curve.points[curve.points.length - 1]!.price_yes, own[own.length - 1]!.price_after)
        for (const point of curve.points) assert.isTrue(point.price_yes > 0 && point.price_yes < 1)
      }

      // Beliefs: one per market per round per agent, in [0, 1], and they move.
      const trajectories = decoded("agent_trajectories.json")
      assert.strictEqual(trajectories.length, 8)
      for (const t of trajectories) {
        assert.strictEqual(t.points.length, 12)
        for (const p of t.points) {
          assert.sameMembers(Object.keys(p.beliefs), ["m1", "m2"])
          for (const b of Object.values(p.beliefs)) assert.isTrue(b >= 0 && b <= 1)
        }
      }
      assert.isTrue(trajectories.some((t) => t.points[0]!.beliefs["m1"] !== t.points[11]!.beliefs["m1"]))

      const graph = decoded("social_graph.json")
      assert.strictEqual(graph.nodes.length, 8)
      assert.strictEqual(graph.edges.filter((e) => e.kind === "follow").length, summary.follows)
      assert.isTrue(decoded("relations.json").some((r) => r.relation === "co_mentioned"))
      const top = decoded("top_posts.json")
      assert.isAtMost(top.length, 10)
      assert.strictEqual(top[0]!.likes, Math.max(...posts.map((p) => p.likes)))
    }))

  it.live("the same request twice gives byte-identical artifacts; another random_seed gives others", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 0 })
      const receiver = yield* uploadReceiver()
      const request = jobRequest({ max_rounds: 10, target_agents: 7, random_seed: 1234 })
      const first = yield* runJob(worker, receiver, "first", request)
      const second = yield* runJob(worker, receiver, "second", request)
      const other = yield* runJob(worker, receiver, "other", { ...request, random_seed: 1235 })
      const a = bodiesByFile(first.puts)
      const b = bodiesByFile(second.puts)
      assert.strictEqual(a.size, 10)
      for (const file of simDataFiles) assert.strictEqual(b.get(file), a.get(file), file)
      assert.strictEqual(second.done.chat_log, first.done.chat_log)
      assert.strictEqual(second.done.graph_data, first.done.graph_data)
      assert.notStrictEqual(bodiesByFile(other.puts).get("chat_log.json"), a.get("chat_log.json"))

      // Without random_seed the seed text decides.
      const { random_seed: _, ...unseeded } = request
      const third = yield* runJob(worker, receiver, "third", unseeded)
      const fourth = yield* runJob(worker, receiver, "fourth", unseeded)
      assert.strictEqual(bodiesByFile(fourth.puts).get("trades.json"), bodiesByFile(third.puts).get("trades.json"))
    }))

  it.live("an upload target that answers 500 gets 3 attempts per file, and the job completes with sim_data_uploaded false", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker()
      const receiver = yield* uploadReceiver(500)
      const { done, puts } = yield* runJob(worker, receiver, "broken", jobRequest({ max_rounds: 2 }))
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(done.sim_data_uploaded, false)
      for (const file of simDataFiles) {
        assert.strictEqual(puts.filter((p) => p.path.endsWith(`/${file}`)).length, 3, file)
      }
      const lines: ReadonlyArray<string> = (yield* get(`${worker.url}/logs?tail=200&source=pipeline`)).json.lines
      assert.include(lines, "[pipeline] upload posts.json attempt=3 failed: status=500")
      assert.include(lines, "[pipeline] uploads: 0/10 files uploaded")
      assert.isFalse(lines.some((line) => line.includes("X-Amz-Signature")), "presigned URLs never reach the logs")
    }))

  it.live("an upload target that never answers is given up on after 3 timed-out attempts per file", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ uploadTimeoutMs: 100 })
      const receiver = yield* uploadReceiver("never")
      const { done, puts } = yield* runJob(worker, receiver, "silent", jobRequest({ max_rounds: 1 }))
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(done.sim_data_uploaded, false)
      assert.strictEqual(puts.length, 30)
      const lines: ReadonlyArray<string> = (yield* get(`${worker.url}/logs?tail=200&source=pipeline`)).json.lines
      assert.include(lines, "[pipeline] upload chat_log.json attempt=3 failed: timed out after 100ms")
    }))

  it.live("a job with only some upload URLs uploads those and reports sim_data_uploaded false", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker()
      const receiver = yield* uploadReceiver()
      const urls = receiver.urlsFor("partial", ["posts.json", "trades.json"])
      yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 2, upload_urls: urls }))
      const done = yield* waitUntilDone(worker.url)
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(done.sim_data_uploaded, false)
      assert.sameMembers(receiver.puts.map((p) => NodePath.basename(p.path)), ["posts.json", "trades.json"])
    }))

  it.live("a job without markets still runs: no trades, no curves, social actions only", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker()
      const receiver = yield* uploadReceiver()
      const { done, puts } = yield* runJob(worker, receiver, "nomarkets", jobRequest({ max_rounds: 4, markets_config: [] }))
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(done.sim_data_uploaded, true)
      const bodies = bodiesByFile(puts)
      assert.deepStrictEqual(decodeArtifact("trades.json", bodies.get("trades.json")!), [])
      assert.deepStrictEqual(decodeArtifact("market_curves.json", bodies.get("market_curves.json")!), [])
      assert.isAbove(decodeArtifact("posts.json", bodies.get("posts.json")!).length, 0)
    }))

  it.live("timeout_seconds is honoured: a job that runs too long fails with the timeout message", () =>
    Effect.gen(function*() {
      const worker = yield* startWorker({ roundDelayMs: 200 })
      const started = Date.now()
      yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 50, timeout_seconds: 1 }))
      const done = yield* waitUntilDone(worker.url, 5000)
      assert.deepStrictEqual(done, { status: "failed", error: "Job timed out after 1s" })
      assert.isBelow(Date.now() - started, 3000)
      const lines: ReadonlyArray<string> = (yield* get(`${worker.url}/logs?tail=5&source=pipeline`)).json.lines
      assert.strictEqual(lines[lines.length - 1], "[pipeline] job failed: Job timed out after 1s")
      // A failed job does not block the next one.
      assert.strictEqual((yield* post(`${worker.url}/job`, jobRequest({ max_rounds: 1 }))).status, 200)
    }))
})
