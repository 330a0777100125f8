/**
 * The simulated population: one agent per seed entity (most mentioned first), topped up with generated personas
 * to `target_agents`. Each agent has a persona, a stance, behavioural traits and a belief per market.
 */
import type { Market } from "../../domain/market.ts"
import type { Entity } from "./entities.ts"
import type { Prng } from "./prng.ts"

const stances = ["optimistic", "skeptical", "undecided"] as const
export type Stance = typeof stances[number]

export interface Agent {
  readonly id: string
  readonly name: string
  readonly persona: string
  readonly stance: Stance
  /** The seed entity the agent speaks for, if any. */
  readonly entityId: string | null
  /** Chance to act at all in a round. */
  readonly activity: number
  /** How much of its edge it trades. */
  readonly confidence: number
  /** How far it moves toward prices and the posts it reads. */
  readonly susceptibility: number
  /** Opening belief that each market resolves YES, by market id: where the agent's stance pulls back to. */
  readonly anchors: Readonly<Record<string, number>>
}

const firstNames = [
  "Amara", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ingrid", "Jonas", "Kemi", "Luca",
  "Maya", "Nikolai", "Olu", "Priya", "Quentin", "Rosa", "Samir", "Tessa", "Umar", "Vera", "Wen", "Ximena", "Yusuf",
  "Zofia"
]
const lastNames = [
  "Abara", "Berg", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gallo", "Haddad", "Ivanova", "Jensen", "Kowalski",
  "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Varga",
  "Weber", "Xu", "Yilmaz", "Zimmer"
]
const roles = [
  ["retail investor", "trades on headlines and gut feeling"],
  ["policy analyst", "reads the fine print of every announcement"],
  ["local journalist", "talks to the people affected first"],
  ["economist", "looks for base rates and incentives"],
  ["startup founder", "bets on change happening faster than expected"],
  ["union organiser", "weighs how workers will react"],
  ["retired civil servant", "has seen similar plans stall before"],
  ["data scientist", "trusts numbers over narratives"],
  ["community activist", "pushes for the outcome people on the ground want"],
  ["hedge fund trader", "hunts for mispriced odds"],
  ["university student", "follows the debate online"],
  ["small business owner", "worries about costs and timing"]
] as const

const kindText = { person: "a person", organisation: "an organisation", group: "a group or place" } as const

const round4 = (x: number) => Math.round(x * 10_000) / 10_000
export const clampBelief = (x: number) => round4(Math.min(0.99, Math.max(0.01, x)))

const stanceShift: Record<Stance, number> = { optimistic: 0.15, skeptical: -0.15, undecided: 0 }

const stanceFromTone = (tone: number, prng: Prng): Stance => {
  if (tone > 0) return "optimistic"
  if (tone < 0) return "skeptical"
  return stances[prng.weighted([0.3, 0.3, 0.4])] ?? "undecided"
}

const openingBeliefs = (markets: ReadonlyArray<Market>, stance: Stance, prng: Prng) =>
  Object.fromEntries(markets.map((market) =>
    [market.id, clampBelief(market.initial_price_yes + stanceShift[stance] + prng.between(-0.08, 0.08))]
  ))

export const makeAgents = (
  entities: ReadonlyArray<Entity>,
  markets: ReadonlyArray<Market>,
  targetAgents: number,
  prng: Prng
): ReadonlyArray<Agent> => {
  const agents: Array<Agent> = []
  const traits = () => ({
    activity: round4(prng.between(0.55, 0.95)),
    confidence: round4(prng.between(0.3, 0.8)),
    susceptibility: round4(prng.between(0.3, 1))
  })
  for (const entity of entities.slice(0, targetAgents)) {
    const stance = stanceFromTone(entity.tone, prng)
    agents.push({
      id: `a${agents.length}`,
      name: entity.name,
      persona: `${entity.name}, ${kindText[entity.kind]} named ${entity.mentions} time${entity.mentions === 1 ? "" : "s"} in the seed: "${entity.context}"`,
      stance,
      entityId: entity.id,
      ...traits(),
      anchors: openingBeliefs(markets, stance, prng)
    })
  }
  const taken = new Set(agents.map((a) => a.name))
  while (agents.length < targetAgents) {
    let name = `${prng.pick(firstNames)} ${prng.pick(lastNames)}`
    for (let suffix = 2; taken.has(name); suffix++) name = `${name.replace(/ \d+$/, "")} ${suffix}`
    taken.add(name)
    const [role, habit] = prng.pick(roles) ?? roles[0]
    const stance = stances[prng.int(stances.length)] ?? "undecided"
    agents.push({
      id: `a${agents.length}`,
      name,
      persona: `${name}, ${/^[aeiou]/.test(role) ? "an" : "a"} ${role} who ${habit}`,
      stance,
      entityId: null,
      ...traits(),
      anchors: openingBeliefs(markets, stance, prng)
    })
  }
  return agents
}
