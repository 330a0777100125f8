/**
 * The dashboard's few paths, routed in the browser with the History API (the server answers index.html for each).
 */
import { useEffect, useState } from "react"

export type Route =
  | { readonly page: "jobs" }
  | { readonly page: "job"; readonly id: number }
  | { readonly page: "new" }
  | { readonly page: "sign-in" }
  | { readonly page: "share"; readonly token: string }
  | { readonly page: "unknown" }

export const routeOf = (path: string): Route => {
  if (path === "/" || path === "/jobs" || path === "/jobs/") return { page: "jobs" }
  if (path === "/new") return { page: "new" }
  if (path === "/sign-in") return { page: "sign-in" }
  const job = /^\/jobs\/(\d{1,15})\/?$/.exec(path)
  if (job?.[1] !== undefined) return { page: "job", id: Number(job[1]) }
  const share = /^\/s\/([A-Za-z0-9_-]+)\/?$/.exec(path)
  if (share?.[1] !== undefined) return { page: "share", token: share[1] }
  return { page: "unknown" }
}

const changed = "fishcloud:navigate"

/** Goes to `path` in the page (no reload); `replace` keeps the back button off the current entry. */
export const navigate = (path: string, options: { readonly replace?: boolean; readonly state?: unknown } = {}) => {
  if (options.replace === true) window.history.replaceState(options.state ?? null, "", path)
  else window.history.pushState(options.state ?? null, "", path)
  window.dispatchEvent(new Event(changed))
}

/** The current path, re-rendering on navigation and on the back button. */
export const usePath = (): string => {
  const [path, setPath] = useState(window.location.pathname)
  useEffect(() => {
    const update = () => setPath(window.location.pathname)
    window.addEventListener("popstate", update)
    window.addEventListener(changed, update)
    return () => {
      window.removeEventListener("popstate", update)
      window.removeEventListener(changed, update)
    }
  }, [])
  return path
}
