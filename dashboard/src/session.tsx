/**
 * Who is signed in: the API token kept in localStorage, and what happens when the API stops accepting it (any
 * 401): the token is forgotten and the sign-in page says why, then returns to where the user was.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react"
import { call, type Client, type Failure, forgetToken, type Outcome, saveToken, storedToken } from "./api/client.ts"
import { navigate } from "./router.ts"
import type { Effect } from "effect"

interface Session {
  readonly token: string | null
  readonly signIn: (token: string) => void
  /** Forgets the token; `message` is shown on the sign-in page. */
  readonly signOut: (message?: string) => void
}

const SessionContext = createContext<Session | null>(null)

export interface SignInState {
  readonly message?: string
  readonly next?: string
}

export const SessionProvider = ({ children }: { readonly children: ReactNode }) => {
  const [token, setToken] = useState<string | null>(storedToken)
  const signIn = useCallback((next: string) => {
    saveToken(next)
    setToken(next)
  }, [])
  const signOut = useCallback((message?: string) => {
    forgetToken()
    setToken(null)
    const state: SignInState = {
      ...(message === undefined ? {} : { message }),
      next: window.location.pathname
    }
    navigate("/sign-in", { state })
  }, [])
  // Another tab signing in or out changes this one too.
  useEffect(() => {
    const update = (event: StorageEvent) => {
      if (event.key === "fishcloud.token") setToken(storedToken())
    }
    window.addEventListener("storage", update)
    return () => window.removeEventListener("storage", update)
  }, [])
  const session = useMemo(() => ({ token, signIn, signOut }), [token, signIn, signOut])
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
}

export const useSession = (): Session => {
  const session = useContext(SessionContext)
  if (session === null) return { token: null, signIn: () => {}, signOut: () => {} }
  return session
}

export const expiredMessage = "Your session has ended (the token expired or was revoked). Sign in again."

/** `call` with the session's token; a 401 signs out with `expiredMessage`. */
export const useApi = () => {
  const { token, signOut } = useSession()
  return useCallback(
    async <A, E>(use: (client: Client) => Effect.Effect<A, E>): Promise<Outcome<A>> => {
      const outcome = await call(token, use)
      if (!outcome.ok && outcome.failure.kind === "unauthorized" && token !== null) signOut(expiredMessage)
      return outcome
    },
    [token, signOut]
  )
}

export type Loaded<A> =
  | { readonly state: "loading" }
  | { readonly state: "ok"; readonly value: A }
  | { readonly state: "failed"; readonly failure: Failure }

/**
 * Loads with `load` when `key` changes; `reload` loads again and keeps showing the last value meanwhile (so a live
 * page does not flicker).
 */
export const useLoad = <A,>(load: () => Promise<Outcome<A>>, key: string): { readonly loaded: Loaded<A>; readonly reload: () => Promise<void> } => {
  const [loaded, setLoaded] = useState<Loaded<A>>({ state: "loading" })
  const latest = useRef(load)
  latest.current = load
  const generation = useRef(0)
  const reload = useCallback(async () => {
    const mine = ++generation.current
    const outcome = await latest.current()
    if (mine !== generation.current) return
    setLoaded(outcome.ok ? { state: "ok", value: outcome.value } : { state: "failed", failure: outcome.failure })
  }, [])
  useEffect(() => {
    setLoaded({ state: "loading" })
    void reload()
  }, [key, reload])
  return { loaded, reload }
}
