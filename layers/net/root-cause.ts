/** The innermost cause's words (`connect ECONNREFUSED 127.0.0.1:4000`), which fetch hides under "fetch failed". */
export const rootCause = (cause: unknown): string | undefined => {
  let current = cause
  let words: string | undefined
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    words = current.message
    current = current.cause
  }
  return words
}
