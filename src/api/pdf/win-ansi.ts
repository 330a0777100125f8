/**
 * Text that pdfkit's standard fonts can draw. Those fonts (Helvetica, Courier) encode WinAnsi only: pdfkit writes any
 * other character as a meaningless code, so a report in CJK, with emoji or right-to-left text would come out as
 * garbage glyphs. `toWinAnsi` keeps what WinAnsi has, transliterates what it can (typographic spaces and dashes,
 * arrows, ligatures, accented Latin letters outside Latin-1, Greek and Cyrillic letters), drops invisible format
 * and control characters and emoji, and replaces every other run of characters (CJK, Hebrew, Arabic...) with one
 * "?". It never fails.
 */

/** The WinAnsi characters outside ASCII and Latin-1 (the 0x80-0x9F block of Windows-1252). */
const winAnsiExtras = new Set([
  0x152, 0x153, 0x160, 0x161, 0x178, 0x17d, 0x17e, 0x192, 0x2c6, 0x2dc, 0x2013, 0x2014, 0x2018, 0x2019, 0x201a,
  0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122
])

const isWinAnsi = (cp: number): boolean =>
  (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || winAnsiExtras.has(cp)

/** Characters that draw nothing: format controls, bidi marks, zero-width joiners, variation selectors. */
const isInvisible = (cp: number): boolean =>
  cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff || cp === 0x061c ||
  cp === 0x180e || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0000 && cp <= 0xe007f) || (cp >= 0xe0100 && cp <= 0xe01ef)

/** Emoji and pictographs: decoration, dropped rather than shown as "?". */
const isPictograph = (cp: number): boolean =>
  (cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0x2600 && cp <= 0x27bf) || (cp >= 0x2b00 && cp <= 0x2bff) ||
  (cp >= 0x1f1e6 && cp <= 0x1f1ff) || cp === 0x200d || cp === 0x20e3

/** Combining marks left over by NFKD decomposition ("ő" becomes "o" + U+030B). */
const isCombiningMark = (cp: number): boolean =>
  (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
  (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f)

const spaces = "\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

/** Transliterations NFKD does not give. */
const replacements: ReadonlyMap<string, string> = new Map([
  ...Array.from(spaces, (space): [string, string] => [space, " "]),
  ["\u2028", "\n"], ["\u2029", "\n"],
  ["\u2010", "-"], ["\u2011", "-"], ["\u2012", "-"], ["\u2015", "\u2014"], ["\u2212", "-"], ["\u2043", "-"],
  ["\u201b", "'"], ["\u201f", "\""], ["\u2032", "'"], ["\u2033", "\""], ["\u02bc", "'"], ["\u02b9", "'"],
  ["\u2190", "<-"], ["\u2192", "->"], ["\u2194", "<->"], ["\u21d0", "<="], ["\u21d2", "=>"], ["\u21d4", "<=>"],
  ["\u2191", "^"], ["\u2193", "v"], ["\u2264", "<="], ["\u2265", ">="], ["\u2260", "!="], ["\u2248", "~"],
  ["\u2243", "~"], ["\u221e", "infinity"], ["\u2713", "v"], ["\u2714", "v"], ["\u2717", "x"], ["\u2718", "x"],
  ["\u25cf", "\u2022"], ["\u25e6", "\u2022"], ["\u25aa", "\u2022"], ["\u25b8", "\u2022"], ["\u2023", "\u2022"],
  ["\u2219", "\u00b7"], ["\u0141", "L"], ["\u0142", "l"], ["\u0110", "D"], ["\u0111", "d"], ["\u0131", "i"],
  ["\u0126", "H"], ["\u0127", "h"], ["\u0166", "T"], ["\u0167", "t"], ["\u014a", "N"], ["\u014b", "n"],
  ["\u0132", "IJ"], ["\u0133", "ij"], ["\u2116", "No"], ["\u20bf", "BTC"]
])

/** Letter by letter, in alphabet order: Russian and Ukrainian Cyrillic, then Greek (ISO 9 / ELOT 743, simplified). */
const cyrillic = "\u0430\u0431\u0432\u0433\u0434\u0435\u0451\u0436\u0437\u0438\u0439\u043a\u043b\u043c\u043d\u043e\u043f\u0440\u0441\u0442\u0443\u0444\u0445\u0446\u0447\u0448\u0449\u044a\u044b\u044c\u044d\u044e\u044f\u0454\u0456\u0457\u0491"
const cyrillicLatin = ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "ye", "i", "yi", "g"]
const greek = "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf\u03c0\u03c1\u03c2\u03c3\u03c4\u03c5\u03c6\u03c7\u03c8\u03c9"
const greekLatin = ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s", "s", "t", "y", "f", "ch", "ps", "o"]

/** A Cyrillic or Greek letter in Latin letters (capitalised like the original), or undefined. */
const romanize = (char: string): string | undefined => {
  const lower = char.toLowerCase()
  const at = cyrillic.indexOf(lower)
  const greekAt = at < 0 ? greek.indexOf(lower) : -1
  const latin = at >= 0 ? cyrillicLatin[at] : greekAt >= 0 ? greekLatin[greekAt] : undefined
  if (latin === undefined) return undefined
  return lower === char ? latin : latin.charAt(0).toUpperCase() + latin.slice(1)
}

/** The WinAnsi spelling of one character, or undefined when there is none. */
const transliterate = (char: string): string | undefined => {
  const known = replacements.get(char)
  if (known !== undefined) return known
  const decomposed = Array.from(char.normalize("NFKD")).filter((c) => !isCombiningMark(c.codePointAt(0) ?? 0))
  const spelled = decomposed.map((c) => replacements.get(c) ?? romanize(c) ?? c).join("")
  return spelled.length > 0 && Array.from(spelled).every((c) => isWinAnsi(c.codePointAt(0) ?? 0) || c === "\n")
    ? spelled
    : undefined
}

/**
 * `text` in characters the standard PDF fonts can draw. Line breaks (`\n`, CRLF) stay, a tab becomes four
 * spaces, other control characters and emoji disappear, and each run of characters with no WinAnsi spelling
 * becomes one "?".
 */
export const toWinAnsi = (text: string): string => {
  let out = ""
  let unknownRun = false
  // After a dropped character, a space that would double the one before it goes too ("a 🎉 b" is "a b").
  let dropped = false
  for (const char of text.normalize("NFC").replace(/\r\n?/g, "\n")) {
    const cp = char.codePointAt(0) ?? 0
    if (char === " " && dropped && out.endsWith(" ")) {
      continue
    } else if (char === "\n" || isWinAnsi(cp)) {
      out += char
      unknownRun = false
      dropped = false
    } else if (char === "\t") {
      out += "    "
      unknownRun = false
      dropped = false
    } else if (isInvisible(cp) || isCombiningMark(cp)) {
      dropped = true
    } else {
      const spelled = transliterate(char) ?? (isPictograph(cp) ? "" : undefined)
      if (spelled !== undefined) {
        out += spelled
        unknownRun = false
        dropped = spelled.length === 0
      } else if (!unknownRun) {
        out += "?"
        unknownRun = true
        dropped = false
      }
    }
  }
  return out
}
