/** The app shell: header with sign-out, and the page for the current path (sign-in first when no token is kept). */
import { useEffect } from "react"
import { Link } from "./components/Link.tsx"
import { JobPage } from "./pages/JobPage.tsx"
import { JobsList } from "./pages/JobsList.tsx"
import { NewJob } from "./pages/NewJob.tsx"
import { SharePage } from "./pages/SharePage.tsx"
import { SignIn } from "./pages/SignIn.tsx"
import { navigate, routeOf, usePath } from "./router.ts"
import { SessionProvider, useSession } from "./session.tsx"

const Header = () => {
  const { token, signOut } = useSession()
  return (
    <header className="topbar">
      <Link href="/jobs" className="brand">
        <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
          <path d="M4 16c6-8 14-8 20 0-6 8-14 8-20 0z" fill="currentColor" />
          <path d="M24 16l5-5v10z" fill="currentColor" />
          <circle cx="10" cy="14.5" r="1.5" fill="var(--surface)" />
        </svg>
        <span>fishcloud</span>
      </Link>
      {token !== null && (
        <nav className="topnav">
          <Link href="/jobs">Jobs</Link>
          <Link href="/new" className="button primary small">New job</Link>
          <button type="button" className="button ghost small" data-testid="signout" title="Sign out: forget this browser's token"
            onClick={() => signOut()}>
            Sign out
          </button>
        </nav>
      )}
    </header>
  )
}

const Pages = () => {
  const path = usePath()
  const route = routeOf(path)
  const { token } = useSession()
  const needsToken = route.page !== "share" && route.page !== "sign-in" && token === null
  useEffect(() => {
    if (needsToken) navigate("/sign-in", { replace: true, state: { next: path } })
  }, [needsToken, path])
  useEffect(() => {
    if (route.page === "jobs") document.title = "Jobs · fishcloud"
    else if (route.page === "new") document.title = "New job · fishcloud"
    else if (route.page === "sign-in") document.title = "Sign in · fishcloud"
  }, [route.page])
  if (needsToken) return null
  switch (route.page) {
    case "jobs":
      return <JobsList />
    case "job":
      return <JobPage key={route.id} id={route.id} />
    case "new":
      return <NewJob />
    case "sign-in":
      return <SignIn />
    case "share":
      return <SharePage token={route.token} />
    case "unknown":
      return (
        <main className="page narrow">
          <div className="empty" data-testid="not-found">
            <h1>Page not found</h1>
            <p><Link href="/jobs">Back to your jobs</Link></p>
          </div>
        </main>
      )
  }
}

export const App = () => (
  <SessionProvider>
    <Header />
    <Pages />
  </SessionProvider>
)
