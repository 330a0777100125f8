/** Small text helpers shared by the report parser and the offline report writer. */

/** Whitespace runs (newlines included) become one space, so text can sit on one markdown line. */
export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()

/**
 * `text` in at most `max` characters: cut at the last word boundary that leaves room for a closing "…", or
 * inside the word when there is no boundary. Text that fits is returned as is.
 */
export const cutAtWord = (text: string, max: number): string => {
  if (text.length <= max) return text
  const room = max - 1
  let cut = text.slice(0, room)
  if (!/\s/.test(text.charAt(room))) {
    const lastSpace = cut.search(/\s\S*$/)
    if (lastSpace > 0) cut = cut.slice(0, lastSpace)
  }
  return `${cut.trimEnd()}…`
}
