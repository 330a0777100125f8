import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { artifactSchemas, simDataFiles } from "../../src/domain/artifacts.ts"
import { sampleArtifacts } from "../support/sample-artifacts.ts"

const markets = [
  { id: "m1", question: "Will the ECB cut rates before July?", initial_price_yes: 0.5 },
  { id: "m2", question: "Will inflation fall below 2%?", initial_price_yes: 0.3 }
]

describe("sampleArtifacts", () => {
  it("produces all ten files, each decoding with its artifact schema, and survives a JSON round trip", () => {
    for (const options of [{}, { rounds: 1, agents: 1 }, { rounds: 6, agents: 5, markets }, { rounds: 0, agents: 0 }]) {
      const artifacts = JSON.parse(JSON.stringify(sampleArtifacts(options)))
      assert.deepStrictEqual(Object.keys(artifacts).sort(), [...simDataFiles].sort())
      for (const file of simDataFiles) {
        const decoded = Schema.decodeUnknownExit(artifactSchemas[file])(artifacts[file])
        assert.isTrue(Exit.isSuccess(decoded), `${file} for ${JSON.stringify(options)}`)
      }
    }
  })

  it("is deterministic", () => {
    assert.deepStrictEqual(sampleArtifacts({ rounds: 4, agents: 5, markets }), sampleArtifacts({ rounds: 4, agents: 5, markets }))
  })

  it("tells one consistent story across the files", () => {
    const a = sampleArtifacts({ rounds: 5, agents: 4, markets })
    const summary = a["engagement_summary.json"]
    assert.deepStrictEqual(summary, {
      rounds: 5,
      agents: 4,
      posts: a["posts.json"].length,
      replies: a["posts.json"].filter((p) => p.reply_to !== null).length,
      follows: a["chat_log.json"].filter((e) => e.action === "follow").length,
      trades: a["trades.json"].length,
      likes: a["posts.json"].reduce((n, p) => n + p.likes, 0)
    })
    assert.strictEqual(summary.trades, 5)
    assert.deepStrictEqual(a["profiles.json"].map((p) => p.agent_id), ["a0", "a1", "a2", "a3"])
    // Partners follow each other in round 2.
    const follows = a["chat_log.json"].filter((e) => e.action === "follow").map((e) => `${e.agent_id}>${e.target}`)
    assert.deepStrictEqual(follows, ["a0>a1", "a1>a0", "a2>a3", "a3>a2"])
    // Every reply points at an earlier post, and reply counts match.
    const posts = a["posts.json"]
    for (const p of posts) {
      if (p.reply_to !== null) assert.isTrue(posts.findIndex((q) => q.id === p.reply_to) < posts.indexOf(p))
      assert.strictEqual(p.replies, posts.filter((q) => q.reply_to === p.id).length)
    }
    // Each curve opens at the market's price and ends at the last trade's price.
    for (const curve of a["market_curves.json"]) {
      assert.deepStrictEqual(curve.points.map((p) => p.round), [0, 1, 2, 3, 4, 5])
      const last = a["trades.json"].filter((t) => t.market_id === curve.market_id).at(-1)
      assert.strictEqual(curve.points.at(-1)!.price_yes, last?.price_after ?? curve.points[0]!.price_yes)
    }
    for (const t of a["agent_trajectories.json"]) {
      assert.deepStrictEqual(t.points.map((p) => Object.keys(p.beliefs)), Array(5).fill(["m1", "m2"]))
    }
  })

  it("has no trades, curves or beliefs without markets", () => {
    const a = sampleArtifacts({ rounds: 3, agents: 3 })
    assert.deepStrictEqual(a["trades.json"], [])
    assert.deepStrictEqual(a["market_curves.json"], [])
    assert.isTrue(a["agent_trajectories.json"].every((t) => t.points.every((p) => Object.keys(p.beliefs).length === 0)))
  })
})
