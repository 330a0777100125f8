/**
 * The dashboard's one-time sign-in link. The code travels in the URL's fragment (`#code=`), which a browser never
 * sends to a server, so it reaches no access log or proxy; the dashboard reads it and exchanges it at `POST /api/session`.
 */
import { Redacted } from "effect"

/** `{base}/sign-in#code={code}`, `base` being PUBLIC_URL or where the service listens (no trailing slash). */
export const signInLink = (base: string, code: Redacted.Redacted<string>): string =>
  `${base.replace(/\/+$/, "")}/sign-in#code=${encodeURIComponent(Redacted.value(code))}`
