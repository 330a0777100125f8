/**
 * When a goal is itself a yes/no question, and how it becomes a market question. Used by the offline market
 * deriver, which has no LLM to invent markets: a market made from a goal that is not binary ("Forecast the price
 * of X", "What will happen?") has no YES outcome, so its trading would be meaningless.
 */
import { maxQuestionLength } from "./normalize-markets.ts"

/**
 * Auxiliary and modal verbs that open a polar ("yes or no") question in English, and their negative contractions.
 * "What/Who/How/When/Why ..." open content questions, which a YES price cannot answer.
 */
const polarOpeners = new Set([
  "will", "would", "shall", "should", "can", "could", "may", "might", "must",
  "is", "are", "am", "was", "were", "do", "does", "did", "has", "have", "had",
  "won't", "wouldn't", "shouldn't", "can't", "cannot", "couldn't", "mustn't",
  "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "hasn't", "haven't", "hadn't"
])

/**
 * "Will Alice or Bob win?" asks to choose between alternatives: its answer is a name, not yes or no. An "or"
 * that only widens a threshold ("$100k or higher", "or not") keeps the question binary.
 */
const alternativeOr =
  /\bor\b(?!\s+(?:not|no|more|less|higher|lower|above|below|greater|fewer|better|worse|earlier|later|sooner|longer|over|under)\b)/i

/** Whitespace runs (newlines included) become one space: a market question is one line. */
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim()

/**
 * A goal is a yes/no question when, trimmed and read case-insensitively, it is exactly one question (it ends with
 * "?" and has no other "?"), its first word is an auxiliary or modal verb (Will, Is, Are, Does, Do, Did, Can, Could,
 * Should, Would, Has, Have, Was, Were, ... or a negative form such as "Won't"), at least one word follows that verb,
 * and it does not offer alternatives joined by "or".
 */
export const isYesNoQuestion = (goal: string): boolean => {
  const text = oneLine(goal).replace(/\u2019/g, "'")
  if (!text.endsWith("?") || text.indexOf("?") !== text.length - 1) return false
  const words = text.slice(0, -1).trim().split(" ")
  const opener = words[0]?.toLowerCase() ?? ""
  return polarOpeners.has(opener) && words.length >= 2 && !alternativeOr.test(text)
}

/**
 * The goal as a market question: one line, at most 200 characters. A longer goal is cut at the last word boundary
 * that fits, and keeps its closing "?" so it still reads as a question.
 */
export const marketQuestionFromGoal = (goal: string): string => {
  const text = oneLine(goal)
  if (text.length <= maxQuestionLength) return text
  const body = text.endsWith("?") ? text.slice(0, -1).trimEnd() : text
  const room = maxQuestionLength - 1
  let cut = body.slice(0, room)
  // Cut inside a word only when the first `room` characters hold no space at all.
  if (body.charAt(room) !== " ") {
    const lastSpace = cut.lastIndexOf(" ")
    if (lastSpace > 0) cut = cut.slice(0, lastSpace)
  }
  return `${cut.replace(/[\s,;:.\u2013\u2014-]+$/, "")}?`
}
