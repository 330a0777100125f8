/**
 * Sign-in: paste an API token (checked with `GET /api/me`), or arrive from the one-time link
 * `/sign-in#code=...`, whose code is exchanged at `POST /api/session` and then removed from the address bar.
 */
import { type FormEvent, useEffect, useRef, useState } from "react"
import { checkToken, exchangeCode } from "../api/session-api.ts"
import { navigate } from "../router.ts"
import { type SignInState, useSession } from "../session.tsx"

const stateOf = (): SignInState => {
  const state: unknown = window.history.state
  if (typeof state !== "object" || state === null) return {}
  const message: unknown = Reflect.get(state, "message")
  const next: unknown = Reflect.get(state, "next")
  return {
    ...(typeof message === "string" ? { message } : {}),
    ...(typeof next === "string" && next.startsWith("/") && next !== "/" && !next.startsWith("/sign-in") ? { next } : {})
  }
}

export const SignIn = () => {
  const { signIn } = useSession()
  const [initial] = useState(stateOf)
  const [token, setToken] = useState("")
  const [error, setError] = useState<string | null>(null)
  const [notice] = useState(initial.message ?? null)
  const [busy, setBusy] = useState(false)
  /** Codes already sent: each works once, and React may run the effect twice. */
  const exchanged = useRef(new Set<string>())

  const done = (next: string) => {
    signIn(next)
    navigate(initial.next ?? "/jobs", { replace: true })
  }

  // The one-time link: the code sits in the fragment, which never reaches a server log. A link opened on this page
  // changes only the fragment, so `hashchange` is watched too.
  useEffect(() => {
    const exchange = () => {
      const code = new URLSearchParams(window.location.hash.slice(1)).get("code")
      if (code === null) return
      window.history.replaceState(window.history.state, "", "/sign-in")
      if (exchanged.current.has(code)) return
      exchanged.current.add(code)
      setBusy(true)
      setError(null)
      void exchangeCode(code).then((outcome) => {
        setBusy(false)
        if (outcome.ok) done(outcome.value.token)
        else setError(outcome.failure.kind === "unauthorized" ? `${outcome.failure.message} You can also paste an API token.` : outcome.failure.message)
      })
    }
    exchange()
    window.addEventListener("hashchange", exchange)
    return () => window.removeEventListener("hashchange", exchange)
  }, [])

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const candidate = token.trim()
    if (candidate === "") {
      setError("Paste an API token first.")
      return
    }
    setBusy(true)
    setError(null)
    const outcome = await checkToken(candidate)
    setBusy(false)
    if (outcome.ok) done(candidate)
    else setError(outcome.failure.kind === "unauthorized" ? "This token is not valid (unknown, expired or revoked)." : outcome.failure.message)
  }

  return (
    <main className="page signin">
      <form className="card signin-card" onSubmit={(event) => void submit(event)}>
        <h1>Sign in</h1>
        <p className="muted">
          Paste an API token, or open the one-time sign-in link the service printed when it first started.
          The CLI's token is in <code>.fishcloud/token</code>.
        </p>
        {notice !== null && <p className="notice">{notice}</p>}
        <label className="field">
          <span>API token</span>
          <input
            data-testid="signin-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(event) => setToken(event.target.value)}
            placeholder="fc_…"
          />
        </label>
        {error !== null && <p className="error" role="alert" data-testid="signin-error">{error}</p>}
        <button type="submit" className="button primary" data-testid="signin-submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  )
}
