/** How numbers, times and durations read in the dashboard. */

export const money = (usd: number | null | undefined) =>
  usd === null || usd === undefined ? "—" : usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`

export const duration = (seconds: number | null | undefined) => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—"
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/** "3 min ago" style, from an ISO time. */
export const age = (iso: string, now = Date.now()) => {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000)
  if (!Number.isFinite(seconds)) return "—"
  if (seconds < 60) return "just now"
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
}

export const dateTime = (iso: string | null | undefined) =>
  iso === null || iso === undefined ? "—" : new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })

export const percent = (p: number) => `${Math.round(p * 100)}%`
