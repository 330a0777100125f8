/**
 * Durations and amounts as people read them, the same in the service's log (`src/lifecycle/job-log.ts`) and in the
 * CLI (`src/cli/progress.ts`): `4m 12s`, `1h 05m`, `$0.41`.
 */

/** `45s`, `4m 12s`, `1h 05m` (seconds rounded; negative or non-finite counts as 0). */
export const readableSeconds = (seconds: number): string => {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds) : 0
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = total % 60
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, "0")}s`
  return `${rest}s`
}

/** `$1.89`: dollars with cents. */
export const usd = (amount: number): string => `$${amount.toFixed(2)}`
