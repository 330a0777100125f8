import { assert, describe, it } from "@effect/vitest"
import { makeAgents } from "../../src/pod-worker/simulation/agents.ts"
import { buildEntityGraph } from "../../src/pod-worker/simulation/entities.ts"
import { buy, openMarket, priceYes, sharesToReach } from "../../src/pod-worker/simulation/market-maker.ts"
import { messagesFor, toolsFor } from "../../src/pod-worker/simulation/policy-llm.ts"
import { streamFor } from "../../src/pod-worker/simulation/prng.ts"
import { market, seedText } from "../support/pod-worker.ts"

describe("seed entities", () => {
  it("finds the named entities, most mentioned first, folds short forms into full names, skips capitalised sentence starts", () => {
    const graph = buildEntityGraph(
      `${seedText} In Rotterdam, Aboutaleb said the ECB would not care. Residents are split.`,
      10
    )
    const names = graph.entities.map((e) => e.name)
    assert.deepStrictEqual(names.slice(0, 3), ["Port Authority of Rotterdam", "Mayor Ahmed Aboutaleb", "Dock Workers Union"])
    assert.includeMembers(names, ["ING Bank", "ECB"])
    assert.notInclude(names, "Analysts")
    assert.notInclude(names, "Residents")
    assert.notInclude(names, "Aboutaleb")
    const byName = new Map(graph.entities.map((e) => [e.name, e]))
    assert.strictEqual(byName.get("Port Authority of Rotterdam")!.mentions, 3, "twice in full, once as Rotterdam")
    assert.strictEqual(byName.get("Mayor Ahmed Aboutaleb")!.mentions, 2, "ties are broken by first appearance")
    assert.strictEqual(byName.get("Dock Workers Union")!.kind, "organisation")
    assert.strictEqual(byName.get("Mayor Ahmed Aboutaleb")!.kind, "person")
    assert.isBelow(byName.get("Dock Workers Union")!.tone, 0, "fears job losses, threatens a strike")
    assert.isAbove(byName.get("ING Bank")!.tone, 0, "expects strong growth")
    const union = byName.get("Dock Workers Union")!.id
    const mayor = byName.get("Mayor Ahmed Aboutaleb")!.id
    assert.isTrue(graph.edges.some((e) => [e.source, e.target].includes(union) && [e.source, e.target].includes(mayor)))
  })

  it("agents speak for the entities first and are topped up with generated personas, reproducibly", () => {
    const graph = buildEntityGraph(seedText, 10)
    const markets = [market("m1", "Approved?", 0.55)]
    const agents = makeAgents(graph.entities, markets, 9, streamFor(3, "agents"))
    assert.strictEqual(agents.length, 9)
    assert.deepStrictEqual(agents.slice(0, graph.entities.length).map((a) => a.name), graph.entities.map((e) => e.name))
    assert.strictEqual(new Set(agents.map((a) => a.name)).size, 9, "names are unique")
    assert.isTrue(agents.slice(graph.entities.length).every((a) => a.entityId === null && a.persona.includes(" who ")))
    assert.strictEqual(agents.find((a) => a.name === "Dock Workers Union")!.stance, "skeptical")
    for (const a of agents) assert.isTrue(a.anchors["m1"]! > 0 && a.anchors["m1"]! < 1)
    assert.deepStrictEqual(makeAgents(graph.entities, markets, 9, streamFor(3, "agents")), agents)
    assert.strictEqual(makeAgents(graph.entities, markets, 2, streamFor(3, "agents")).length, 2, "fewer agents than entities")
  })
})

describe("LMSR market maker", () => {
  it("opens at the initial price, moves up on YES and down on NO, stays inside (0, 1), and reaches a target exactly", () => {
    const m = openMarket("m1", "q", 0.3, 40)
    assert.strictEqual(priceYes(m), 0.3)
    const up = buy(m, "YES", 10)
    assert.isAbove(up.priceAfter, up.priceBefore)
    assert.isAbove(up.cost, 0)
    assert.isBelow(up.cost, 10, "a YES share never costs more than 1")
    const down = buy(m, "NO", 25)
    assert.isBelow(down.priceAfter, down.priceBefore)
    assert.strictEqual(priceYes(m), down.priceAfter)
    for (let i = 0; i < 50; i++) buy(m, "YES", 50)
    assert.strictEqual(priceYes(m), 0.999, "a market never becomes certain")
    assert.strictEqual(buy(m, "YES", 5).shares, 0, "nothing left to sell at the extreme")
    for (let i = 0; i < 100; i++) buy(m, "NO", 50)
    assert.strictEqual(priceYes(m), 0.001)

    const n = openMarket("m2", "q", 0.5, 40)
    buy(n, "YES", sharesToReach(n, "YES", 0.7))
    assert.closeTo(priceYes(n), 0.7, 1e-6)
    assert.strictEqual(sharesToReach(n, "YES", 0.6), 0, "already past the target")
    assert.isAbove(sharesToReach(n, "NO", 0.6), 0)
  })
})

describe("LLM policy prompts", () => {
  it("offer only what the agent can see: feed posts to reply to, at most 25 people to follow (feed authors first)", () => {
    const others = Array.from({ length: 40 }, (_, i) => ({ id: `a${i + 1}`, name: `Agent ${i + 1}`, stance: "undecided" as const }))
    const observation = {
      round: 3,
      totalRounds: 10,
      goal: "Will it pass?",
      agent: { id: "a0", name: "Agent 0", persona: "Agent 0, a tester", stance: "optimistic" as const, beliefs: { m1: 0.6 }, confidence: 0.5, activity: 0.9 },
      markets: [{ id: "m1", question: "Will it pass?", priceYes: 0.5 }],
      feed: [{
        id: "p7",
        round: 2,
        agentId: "a39",
        agentName: "Agent 39",
        text: "It will not pass.",
        replyTo: null,
        marketId: "m1",
        statedBelief: 0.2,
        likes: 1,
        followed: false
      }],
      following: ["a1"],
      others
    }
    const tools = toolsFor(observation)
    const param = (tool: string, name: string) =>
      tools.find((t) => t.function.name === tool)!.function.parameters.properties[name] as { enum: ReadonlyArray<string> }
    assert.deepStrictEqual(param("reply", "post_id").enum, ["p7"])
    const followable = param("follow", "agent_id").enum
    assert.strictEqual(followable[0], "a39", "the feed's author comes first")
    assert.notInclude(followable, "a1", "already followed")
    assert.isAtMost(followable.length, 25)
    assert.deepStrictEqual(param("trade", "market_id").enum, ["m1"])
    const [system, user] = messagesFor(observation)
    assert.match(system!.content, /^You are Agent 0\. Agent 0, a tester/)
    assert.match(user!.content, /m1: "Will it pass\?" market price YES 50%, your belief 60%/)
    assert.match(user!.content, /p7 by Agent 39, 1 likes: It will not pass\./)
  })
})
