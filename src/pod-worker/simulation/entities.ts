/**
 * The "ontology" and "entity graph" stages: the named entities of the seed text (runs of capitalised words such
 * as "Port Authority" or "Maria Lopez", acronyms such as "ECB"), how often each is mentioned, the sentence that
 * first mentions it, and which entities are mentioned in the same sentence. Purely lexical and deterministic.
 */

type EntityKind = "person" | "organisation" | "group"

export interface Entity {
  readonly id: string
  readonly name: string
  readonly kind: EntityKind
  readonly mentions: number
  /** The first sentence that names the entity, cut to a readable length. */
  readonly context: string
  /** Sentiment of the sentences naming it: positive words minus negative words. */
  readonly tone: number
}

interface CoMention {
  readonly source: string
  readonly target: string
  readonly weight: number
}

export interface EntityGraph {
  readonly entities: ReadonlyArray<Entity>
  readonly edges: ReadonlyArray<CoMention>
  readonly sentences: number
}

/** Capitalised words that start sentences or name no one. */
const stopwords = new Set([
  "A", "About", "After", "Again", "All", "Also", "Although", "An", "And", "Any", "As", "At", "Because", "Before",
  "Both", "But", "By", "Can", "Could", "Despite", "Do", "Does", "During", "Each", "Either", "Even", "Every", "For",
  "From", "Given", "Has", "Have", "He", "Her", "Here", "His", "How", "However", "I", "If", "In", "Into", "Is", "It",
  "Its", "Last", "Many", "May", "Meanwhile", "More", "Most", "Much", "My", "New", "Next", "No", "Nor", "Not", "Now",
  "Of", "On", "Once", "One", "Only", "Or", "Other", "Our", "Over", "Per", "She", "Should", "Since", "So", "Some",
  "Still", "Such", "That", "The", "Their", "Them", "Then", "There", "These", "They", "This", "Those", "Though",
  "Through", "Thus", "To", "Today", "Under", "Unless", "Until", "Upon", "We", "Were", "What", "When", "Where",
  "Whether", "Which", "While", "Who", "Why", "Will", "With", "Within", "Without", "Would", "Yes", "Yet", "You",
  "Your", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
  "March", "April", "June", "July", "August", "September", "October", "November", "December", "Q1", "Q2", "Q3", "Q4"
])

const organisationWords = /\b(Agency|Airlines?|Alliance|Assembly|Association|Authority|Bank|Board|Bureau|Capital|Center|Centre|Chamber|Church|Club|Coalition|Commission|Committee|Company|Congress|Corp|Corporation|Council|Court|Department|Federation|Foundation|Fund|Government|Group|Holdings|Inc|Institute|League|Ltd|Media|Ministry|Network|News|Office|Parliament|Partners|Party|Police|Reserve|Senate|Services|Society|Systems|Technologies|Times|Trust|Union|United|University)\b/

const positiveWords = new Set([
  "approve", "approved", "backs", "benefit", "boost", "confident", "expand", "gain", "gains", "grow", "growth",
  "improve", "improved", "likely", "optimistic", "progress", "record", "rise", "rising", "strong", "success",
  "succeed", "support", "supports", "surge", "win", "wins"
])
const negativeWords = new Set([
  "against", "bankrupt", "block", "blocked", "collapse", "concern", "concerns", "crisis", "cut", "cuts", "decline",
  "delay", "delayed", "doubt", "drop", "fail", "failed", "fall", "falling", "fear", "fears", "loss", "losses",
  "oppose", "opposes", "protest", "reject", "rejected", "risk", "risks", "shortage", "strike", "unlikely", "weak"
])

const capitalisedRun =
  /\p{Lu}[\p{L}\p{N}'’&-]*(?:\s+(?:(?:of|the|and|for|de|la|van|von|der|du)\s+)?\p{Lu}[\p{L}\p{N}'’&-]*)*/gu

const splitSentences = (text: string): ReadonlyArray<string> =>
  text.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter((s) => s.length > 0)

/** Leading and trailing stopwords and connectors removed: "The Port Authority" -> "Port Authority". */
const trimPhrase = (phrase: string): string | undefined => {
  const words = phrase.replace(/['’]s$/, "").split(/\s+/)
  while (words.length > 0 && stopwords.has(words[0]!)) words.shift()
  while (words.length > 0 && /^(of|the|and|for|de|la|van|von|der|du)$/.test(words[words.length - 1]!)) words.pop()
  const name = words.join(" ").replace(/[-&]+$/, "")
  if (name.length < 2 || stopwords.has(name) || /^\p{N}/u.test(name)) return undefined
  return name
}

const kindOf = (name: string): EntityKind => {
  if (organisationWords.test(name) || /^[\p{Lu}\p{N}&]{2,6}$/u.test(name)) return "organisation"
  const words = name.split(" ")
  return words.length >= 2 && words.length <= 3 && words.every((w) => /^\p{Lu}\p{Ll}/u.test(w)) ? "person" : "group"
}

const toneOf = (sentence: string) => {
  let tone = 0
  for (const word of sentence.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (positiveWords.has(word)) tone += 1
    if (negativeWords.has(word)) tone -= 1
  }
  return tone
}

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`)

interface Found {
  name: string
  mentions: number
  firstAt: number
  context: string
  tone: number
  sentences: Set<number>
  /** Named somewhere other than a sentence's first word: a lone capitalised first word is usually not a name. */
  named: boolean
}

/** The entities of the seed, most mentioned first (then by first appearance), at most `limit`. */
export const buildEntityGraph = (seedText: string, limit: number): EntityGraph => {
  const sentences = splitSentences(seedText)
  const found = new Map<string, Found>()
  let position = 0
  sentences.forEach((sentence, index) => {
    const tone = toneOf(sentence)
    for (const match of sentence.matchAll(capitalisedRun)) {
      const name = trimPhrase(match[0])
      position += 1
      if (name === undefined) continue
      const named = match.index + match[0].indexOf(name) > 0 || name.includes(" ") || /^[\p{Lu}\p{N}&]{2,6}$/u.test(name)
      const seen = found.get(name)
      if (seen === undefined) {
        found.set(name, {
          name,
          mentions: 1,
          firstAt: position,
          context: cut(sentence, 160),
          tone,
          sentences: new Set([index]),
          named
        })
      } else {
        seen.mentions += 1
        seen.tone += tone
        seen.sentences.add(index)
        seen.named ||= named
      }
    }
  })
  // "Lopez" after "Maria Lopez" is the same entity: fold a name into the longer name containing it as words.
  const names = [...found.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
  for (const short of names) {
    const longer = names.find((long) => long.length > short.length && found.has(long) && new RegExp(`(^| )${escape(short)}( |$)`).test(long))
    if (longer === undefined) continue
    const into = found.get(longer)!
    const from = found.get(short)!
    into.mentions += from.mentions
    into.tone += from.tone
    into.named ||= from.named
    for (const s of from.sentences) into.sentences.add(s)
    found.delete(short)
  }
  const ranked = [...found.values()]
    .filter((f) => f.named)
    .sort((a, b) => b.mentions - a.mentions || a.firstAt - b.firstAt)
    .slice(0, Math.max(0, limit))
  const entities: Array<Entity> = ranked.map((f, i) => ({
    id: `e${i + 1}`,
    name: f.name,
    kind: kindOf(f.name),
    mentions: f.mentions,
    context: f.context,
    tone: f.tone
  }))
  const edges: Array<CoMention> = []
  for (let i = 0; i < ranked.length; i++) {
    for (let j = i + 1; j < ranked.length; j++) {
      let weight = 0
      for (const s of ranked[i]!.sentences) if (ranked[j]!.sentences.has(s)) weight += 1
      if (weight > 0) edges.push({ source: entities[i]!.id, target: entities[j]!.id, weight })
    }
  }
  return { entities, edges, sentences: sentences.length }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
