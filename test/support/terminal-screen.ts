/**
 * A tiny terminal for the CLI's tests: what a user sees after the bytes `text` (carriage returns, line feeds, the
 * erase-line sequence; colours are dropped), one string per screen line, trailing empty lines left out.
 */
export const visibleScreen = (text: string): ReadonlyArray<string> => {
  const lines: Array<Array<string>> = [[]]
  let row = 0
  let column = 0
  const plain = text.replace(/\u001b\[[0-9;]*m/g, "")
  for (let index = 0; index < plain.length;) {
    if (plain.startsWith("\u001b[2K", index)) {
      lines[row] = []
      index += 4
      continue
    }
    const char = String.fromCodePoint(plain.codePointAt(index)!)
    index += char.length
    if (char === "\r") column = 0
    else if (char === "\n") {
      row++
      column = 0
      lines[row] ??= []
    } else {
      lines[row]![column++] = char
    }
  }
  const screen = lines.map((cells) => Array.from(cells, (cell) => cell ?? " ").join(""))
  while (screen.length > 0 && screen.at(-1) === "") screen.pop()
  return screen
}
