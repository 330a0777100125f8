/**
 * A small deterministic PRNG (mulberry32) and a string hash (FNV-1a), so a simulation is reproducible from its
 * seed. Never `Math.random`: the same request must give byte-identical artifacts.
 */

/** FNV-1a over the UTF-16 code units, as an unsigned 32-bit integer. */
export const hashString = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

export interface Prng {
  /** A float in [0, 1). */
  readonly next: () => number
  /** A float in [low, high). */
  readonly between: (low: number, high: number) => number
  /** An integer in [0, n). */
  readonly int: (n: number) => number
  readonly chance: (p: number) => boolean
  /** One element; undefined for an empty list. */
  readonly pick: <A>(items: ReadonlyArray<A>) => A | undefined
  /** An index chosen with probability proportional to its weight; -1 when no weight is positive. */
  readonly weighted: (weights: ReadonlyArray<number>) => number
  /** A shuffled copy (Fisher-Yates). */
  readonly shuffle: <A>(items: ReadonlyArray<A>) => Array<A>
}

const mulberry32 = (seed: number): Prng => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return {
    next,
    between: (low, high) => low + next() * (high - low),
    int,
    chance: (p) => next() < p,
    pick: (items) => (items.length === 0 ? undefined : items[int(items.length)]),
    weighted: (weights) => {
      const total = weights.reduce((sum, w) => sum + (w > 0 ? w : 0), 0)
      if (total <= 0) return -1
      let point = next() * total
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i]!
        if (w <= 0) continue
        if (point < w) return i
        point -= w
      }
      return weights.length - 1
    },
    shuffle: (items) => {
      const copy = [...items]
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(i + 1)
        const held = copy[i]!
        copy[i] = copy[j]!
        copy[j] = held
      }
      return copy
    }
  }
}

/** An independent stream per purpose, so adding draws to one part never shifts another. */
export const streamFor = (seed: number, purpose: string): Prng => mulberry32(hashString(`${seed}:${purpose}`))
