/** Text tables of `fishcloud admin ...` and `fishcloud audit`: users, tokens (never the token) and audit entries. */
import type { AccountUser, TokenInfo } from "../../../services/accounts.ts"
import type { AuditPage } from "../../../services/audit.ts"

const dash = (value: string | number | null) => value === null ? "-" : String(value)

/** A minute is precise enough to read: `2026-12-02 10:31`. */
const time = (iso: string | null) => iso === null ? "-" : iso.slice(0, 16).replace("T", " ")

/** Left-aligned columns, two spaces apart. */
const columns = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

export const usersTable = (users: ReadonlyArray<AccountUser>): string =>
  users.length === 0 ? "no users" : columns(
    ["ID", "NAME", "ADMIN", "CREATED", "ACTIVE TOKENS"],
    users.map((user) => [String(user.id), user.name, user.admin ? "yes" : "no", time(user.created_at), String(user.active_tokens)])
  )

export const tokensTable = (tokens: ReadonlyArray<TokenInfo>): string =>
  tokens.length === 0 ? "no tokens" : columns(
    ["ID", "NAME", "SCOPE", "KIND", "USER", "CREATED", "EXPIRES", "LAST USED", "REVOKED"],
    tokens.map((token) => [
      String(token.id),
      token.name,
      token.scope,
      token.kind,
      token.user,
      time(token.created_at),
      time(token.expires_at),
      time(token.last_used_at),
      time(token.revoked_at)
    ])
  )

export const auditTable = (page: AuditPage): string => {
  const footer = `page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.per_page))}, ${page.total} entries`
  if (page.entries.length === 0) return `no audit entries\n${footer}`
  return [
    columns(
      ["TIME", "USER", "TOKEN", "ACTION", "METHOD", "ROUTE", "JOB", "SUBJECT", "STATUS"],
      page.entries.map((entry) => [
        entry.at.slice(0, 19).replace("T", " "),
        entry.user_name,
        dash(entry.token_name),
        entry.action,
        entry.method,
        entry.route,
        dash(entry.job_id),
        dash(entry.subject),
        String(entry.status)
      ])
    ),
    footer
  ].join("\n")
}
