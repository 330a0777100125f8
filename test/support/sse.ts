/** Server-Sent Events as the tests and the bench read them (`GET /api/jobs/:id/events`). */

export interface SseEvent {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: any
}

/** Splits SSE text into events and comments. */
export const parseSse = (text: string) => {
  const events: Array<SseEvent> = []
  const comments: Array<string> = []
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue
    const fields: Record<string, string> = {}
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim())
      else {
        const colon = line.indexOf(":")
        fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, "")
      }
    }
    if (fields["data"] !== undefined) {
      events.push({ id: fields["id"], event: fields["event"], data: JSON.parse(fields["data"]) })
    }
  }
  return { events, comments }
}
