/**
 * The dashboard in a real browser (headless Chromium) against the real service as a process: fake pods on a scaled
 * clock, so a job runs in seconds. A user signs in with the one-time link the service logs, submits a job through
 * the form and watches it finish live, reads the report, curves and graph, downloads an artifact, exports the PDF,
 * shares the job and opens the link signed out, cancels a running job, and meets the not-found and sign-in pages
 * where they belong. Screenshots go to test-output/screenshots (and docs/screenshots with UPDATE_SCREENSHOTS=1).
 * Skipped, saying why, where no Chromium is installed.
 */
import * as Fs from "node:fs"
import * as FsPromises from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import type { Browser, Page } from "playwright-core"
import { describe } from "vitest"
import { AccountsLive } from "../../layers/db/accounts.ts"
import { PgClientLive } from "../../layers/db/database.ts"
import { Accounts } from "../../services/accounts.ts"
import {
  chromiumPath,
  desktop,
  noChromium,
  phone,
  scopedBrowser,
  scopedPage,
  screenshot,
  waitUntilDrawn
} from "../support/browser.ts"
import { apiCaller, closedPort, firstStartToken, scopedHome, startCli } from "../support/cli-process.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const root = NodePath.resolve(import.meta.dirname, "../..")
const dashboardIndex = NodePath.join(root, "dashboard", "dist", "index.html")

/** Long enough for the browser to see a small job run (15 rounds of ~0.3 s), short enough to finish in seconds. */
const timeScale = "0.01"

class Dashboard extends Context.Service<Dashboard, {
  readonly baseUrl: string
  /** The one-time sign-in link of the first start's log. */
  readonly link: string
  /** The local administrator's API token (`$FISHCLOUD_HOME/token`): the same user the link signs in. */
  readonly call: ReturnType<typeof apiCaller>
  readonly port: string
  readonly browser: Browser
  /** The page the tests drive in order, signed in by the first one (desktop size). */
  readonly page: Page
  /** Runs `effect` on the service's database (accounts, expiring a session). */
  readonly onDatabase: <A, E>(effect: Effect.Effect<A, E, Accounts | SqlClient.SqlClient>) => Effect.Effect<A>
  /** What the service printed so far (its JSON log). */
  readonly log: Effect.Effect<string>
  /** Every URL the main page's browser context requested so far. */
  readonly requested: Effect.Effect<ReadonlyArray<string>>
}>()("test/Dashboard") {}

const DashboardLive = Layer.effect(Dashboard, Effect.gen(function*() {
  if (!Fs.existsSync(dashboardIndex)) {
    return yield* Effect.die(new Error(`no dashboard build at ${dashboardIndex}: run \`npm run build:dashboard\` (npm install does)`))
  }
  const database = yield* scopedTestDatabase
  const home = yield* scopedHome
  const port = String(yield* closedPort)
  const env = {
    DATABASE_URL: database.url,
    FISHCLOUD_HOME: home,
    PORT: port,
    POD_PROVIDER: "fake",
    FISHCLOUD_TIME_SCALE: timeScale,
    LOG_FORMAT: "json"
  }
  // The service and the browser start together: each takes seconds on a small machine.
  const [service, browser] = yield* Effect.all([startCli(["serve"], env), scopedBrowser], { concurrency: 2 })
  const [, link] = yield* service.waitForStdout(/(http:\/\/\S+\/sign-in#code=[A-Za-z0-9_-]+)/)
  const token = yield* firstStartToken(home)
  const onDatabase = <A, E>(effect: Effect.Effect<A, E, Accounts | SqlClient.SqlClient>) =>
    effect.pipe(
      Effect.provide(AccountsLive.pipe(Layer.provideMerge(PgClientLive(Redacted.make(database.url))))),
      Effect.orDie
    )
  yield* Effect.addFinalizer(() => Effect.andThen(service.kill("SIGTERM"), service.result))
  const { page, context } = yield* scopedPage(browser)
  const requested: Array<string> = []
  context.on("request", (request) => void requested.push(request.url()))
  return Dashboard.of({
    baseUrl: `http://127.0.0.1:${port}`,
    link: link!,
    call: apiCaller(port, token),
    port,
    browser,
    page,
    onDatabase,
    log: service.stdout,
    requested: Effect.sync(() => [...requested])
  })
}))

/** A Playwright step as an Effect (a failed step fails the test with Playwright's message). */
const step = <A>(run: () => Promise<A>) => Effect.promise(run)

/** Text of the element with `testId`, once visible. */
const textOf = (page: Page, testId: string) =>
  step(async () => {
    const element = page.getByTestId(testId).first()
    await element.waitFor({ state: "visible" })
    return (await element.innerText()).trim()
  })

/** Waits until the page's `job-status` reads `status` (the page updates itself: no reload). */
const statusReaches = (page: Page, status: string, timeout: number) =>
  step(() => page.getByTestId("job-status").filter({ hasText: status }).first().waitFor({ state: "visible", timeout }))

/** Runs `check` on the page reloaded at phone size (390x844), then goes back to the desktop size. */
const onPhone = <A, E, R>(page: Page, check: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    step(async () => {
      await page.setViewportSize(phone)
      await page.reload()
    }),
    () => check,
    () => step(() => page.setViewportSize(desktop))
  )

/** Nothing sticks out sideways: the page does not scroll horizontally (else the message names what sticks out). */
const fitsTheWidth = (page: Page) =>
  Effect.gen(function*() {
    const { scrollWidth, innerWidth, culprits } = yield* step(() =>
      page.evaluate(() => {
        const sticksOut = (element: Element) => element.getBoundingClientRect().right > window.innerWidth + 1
        // The innermost elements that stick out: what makes their parents wide.
        const culprits = Array.from(document.body.querySelectorAll("*"))
          .filter((element) => sticksOut(element) && !Array.from(element.children).some(sticksOut))
          .slice(0, 5)
          .map((element) =>
            `${element.tagName.toLowerCase()}${element.className === "" ? "" : `.${String(element.className).split(" ").join(".")}`}` +
            ` (${Math.round(element.getBoundingClientRect().width)} px wide, right edge at ${Math.round(element.getBoundingClientRect().right)})`
          )
        return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, culprits }
      })
    )
    assert.isAtMost(scrollWidth, innerWidth, `the page is ${scrollWidth} px wide on a ${innerWidth} px screen; sticking out: ${culprits.join("; ")}`)
  })

/**
 * On a failure: a screenshot of the main page (test-output/screenshots/failed-NAME.png) shows what the user saw, and
 * the end of the service's log what the service did.
 */
const showingFailure = (name: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.tapCause(() =>
    Effect.gen(function*() {
      const { page, log } = yield* Dashboard
      const file = yield* screenshot(page, `failed-${name}`, { forDocs: false })
      console.error(`${name} failed; the page is in ${file}; the service's log ends:\n${(yield* log).slice(-4000)}`)
    })
  ))

const seed = "Mayor Alvarez and the Harbour Council vote on the tram line on Tuesday. Riders United supports it; " +
  "the Chamber of Commerce opposes it over the construction years."

/** Signs a fresh context in with `link`, and waits for the jobs list. */
const signInWith = (page: Page, link: string) =>
  step(async () => {
    await page.goto(link)
    await page.getByTestId("jobs-list").waitFor({ state: "visible" })
  })

if (chromiumPath === undefined) console.warn(`test/browser/dashboard.test.ts: ${noChromium}`)

describe.skipIf(chromiumPath === undefined)(chromiumPath === undefined ? `dashboard (skipped: ${noChromium})` : "dashboard", () => {
  layer(DashboardLive, { excludeTestServices: true, timeout: 120_000 })("in a browser", (it) => {
    it.effect("the one-time link from the log signs in, and leaves no code in the address bar", () =>
      Effect.gen(function*() {
        const { page, link, baseUrl } = yield* Dashboard
        assert.isTrue(link.startsWith(`${baseUrl}/sign-in#code=`), link)
        yield* signInWith(page, link)
        assert.notInclude(page.url(), "code=", "the code is gone from the address bar")
        assert.notInclude(page.url(), "fc_", "no token in the address bar")
      }).pipe(showingFailure("sign-in")), 30_000)

    it.effect("a form validation error shows next to its field", () =>
      Effect.gen(function*() {
        const { page } = yield* Dashboard
        yield* step(async () => {
          await page.getByTestId("new-job").first().click()
          await page.getByTestId("form-seed").fill(seed)
          await page.getByTestId("form-goal").fill("   ")
          await page.getByTestId("form-forecast-days").fill("30")
          await page.getByTestId("form-submit").click()
          await page.getByTestId("error-goal").filter({ hasText: /\S/ }).waitFor({ state: "visible" })
        })
        assert.match(yield* textOf(page, "error-goal"), /blank|required|empty/i)
        assert.strictEqual((yield* step(() => page.getByTestId("error-seed_text").innerText())).trim(), "", "no error on the seed")
      }).pipe(showingFailure("validation")), 20_000)

    it.effect("a job submitted through the form runs live to COMPLETED without a reload", () =>
      Effect.gen(function*() {
        const { page } = yield* Dashboard
        yield* step(async () => {
          await page.getByTestId("form-goal").fill("Will the council approve the tram line?")
          await page.getByTestId("form-tier").selectOption("small")
          await page.getByTestId("form-submit").click()
          await page.waitForURL(/\/jobs\/\d+$/)
        })
        // A reload would lose this mark.
        yield* step(() => page.evaluate(() => Reflect.set(window, "__fishcloudMark", "same page")))
        yield* statusReaches(page, "COMPLETED", 60_000)
        assert.strictEqual(yield* step(() => page.evaluate(() => Reflect.get(window, "__fishcloudMark"))), "same page", "the page was not reloaded")
      }).pipe(showingFailure("submit")), 90_000)

    it.effect("the finished job shows its curves, graph, report, findings and cost", () =>
      Effect.gen(function*() {
        const { page } = yield* Dashboard
        yield* waitUntilDrawn(page, page.getByTestId("curves-chart"))
        yield* waitUntilDrawn(page, page.getByTestId("graph-view"))
        const report = yield* textOf(page, "report-body")
        assert.isAbove(report.length, 200, "the report is rendered")
        assert.notInclude(report, "### slot=", "no report markup reaches the reader")
        assert.isAbove((yield* textOf(page, "key-insight")).length, 0)
        assert.isAtLeast(yield* step(() => page.getByTestId("finding-card").count()), 1)
        assert.match(yield* textOf(page, "cost-gpu"), /^\$\d/)
        yield* screenshot(page, "job-finished")
      }).pipe(showingFailure("finished")), 30_000)

    it.effect("the finished job fits a phone-width screen", () =>
      Effect.gen(function*() {
        const { page } = yield* Dashboard
        yield* onPhone(page, Effect.gen(function*() {
          yield* waitUntilDrawn(page, page.getByTestId("curves-chart"))
          yield* waitUntilDrawn(page, page.getByTestId("graph-view"))
          yield* step(() => page.getByTestId("report-body").waitFor({ state: "visible" }))
          yield* screenshot(page, "job-finished-phone")
          yield* fitsTheWidth(page)
        }))
      }).pipe(showingFailure("phone")), 30_000)

    it.effect("an artifact downloads, non-empty", () =>
      Effect.gen(function*() {
        const { page } = yield* Dashboard
        const links = page.getByTestId("artifact-link")
        yield* step(() => links.first().waitFor({ state: "visible" }))
        assert.isAtLeast(yield* step(() => links.count()), 5)
        const download = yield* step(() => Promise.all([page.waitForEvent("download"), links.first().click()]).then(([download]) => download))
        const file = yield* step(() => download.path())
        const size = (yield* step(() => FsPromises.stat(file))).size
        assert.isAbove(size, 0, `${download.suggestedFilename()} is empty`)
      }).pipe(showingFailure("download")), 20_000)

    it.effect("the PDF export downloads a PDF with pages", () =>
      Effect.gen(function*() {
        const { page } = yield* Dashboard
        const id = /\/jobs\/(\d+)$/.exec(page.url())?.[1]
        const [response, download] = yield* step(() =>
          Promise.all([
            page.waitForResponse((response) => /\/api\/jobs\/\d+\/export\/pdf$/.test(response.url())),
            page.waitForEvent("download"),
            page.getByTestId("export-pdf").click()
          ])
        )
        assert.strictEqual(response.status(), 200)
        assert.strictEqual(download.suggestedFilename(), `fishcloud-job-${id}.pdf`)
        const pdf = yield* step(() => download.path().then((file) => FsPromises.readFile(file)))
        assert.strictEqual(pdf.subarray(0, 5).toString("latin1"), "%PDF-")
        assert.match(pdf.toString("latin1"), /\/Type\s*\/Page[^s]/, "has a page")
      }).pipe(showingFailure("pdf")), 20_000)

    it.effect("sharing makes a link that a signed-out browser opens; a revoked one is not found", () =>
      Effect.gen(function*() {
        const { browser, page } = yield* Dashboard
        yield* step(() => page.getByTestId("action-share").click())
        const shared = yield* step(() => page.getByTestId("share-url").getAttribute("href"))
        assert.match(shared ?? "", /\/s\/[A-Za-z0-9_-]+$/)
        const url = new URL(shared!, page.url()).toString()

        // A fresh context: signed out, nothing of the owner's stored.
        yield* Effect.scoped(Effect.gen(function*() {
          const stranger = (yield* scopedPage(browser)).page
          yield* step(() => stranger.goto(url))
          yield* step(() => stranger.getByTestId("share-page").waitFor({ state: "visible" }))
          yield* waitUntilDrawn(stranger, stranger.getByTestId("curves-chart"))
          yield* waitUntilDrawn(stranger, stranger.getByTestId("graph-view"))
          assert.isAbove((yield* textOf(stranger, "report-body")).length, 200)
          assert.isAbove((yield* textOf(stranger, "key-insight")).length, 0)
          assert.strictEqual(yield* step(() => stranger.getByTestId("signout").count()), 0, "the stranger is not signed in")
          yield* screenshot(stranger, "share-page")

          yield* step(async () => {
            await page.getByTestId("action-unshare").click()
            await page.getByTestId("share-url").waitFor({ state: "detached" })
          })
          yield* step(async () => {
            await stranger.reload()
            await stranger.getByTestId("not-found").waitFor({ state: "visible" })
          })
        }))
      }).pipe(showingFailure("share")), 40_000)

    it.effect("a running job is cancelled from its page", () =>
      Effect.gen(function*() {
        const { call, page } = yield* Dashboard
        // Medium: 100 rounds, time enough to press the button while it runs.
        const created = yield* call("POST", "/api/jobs", { seed_text: seed, goal: "Will the tram line open by 2030?", tier: "medium", forecast_days: 60 })
        assert.strictEqual(created.status, 201, JSON.stringify(created.json))
        const id = created.json["id"] as number
        yield* step(async () => {
          await page.getByTestId("signout").waitFor({ state: "visible" })
          await page.goto(new URL("/jobs", page.url()).toString())
          await page.locator(`[data-testid="job-row"][data-job-id="${id}"]`).click()
          await page.waitForURL(new RegExp(`/jobs/${id}$`))
        })
        yield* statusReaches(page, "RUNNING", 30_000)
        yield* step(() => page.getByTestId("job-progress").filter({ hasText: /round \d+/i }).waitFor({ state: "visible", timeout: 20_000 }))
        yield* screenshot(page, "job-running")
        const cancel = page.getByTestId("action-cancel")
        assert.isNotEmpty(yield* step(() => cancel.getAttribute("title")), "the button says what it does")
        yield* step(() => cancel.click())
        yield* statusReaches(page, "CANCELLED", 20_000)
        yield* step(async () => {
          await page.goto(new URL("/jobs", page.url()).toString())
          await page.getByTestId("job-row").nth(1).waitFor({ state: "visible" })
        })
        yield* screenshot(page, "jobs-list")
        yield* onPhone(page, Effect.gen(function*() {
          yield* step(() => page.getByTestId("job-row").nth(1).waitFor({ state: "visible" }))
          yield* screenshot(page, "jobs-list-phone")
          yield* fitsTheWidth(page)
        }))
      }).pipe(showingFailure("cancel")), 60_000)

    it.effect("the jobs list moves a live job's status without a reload, and filters by status on the server", () =>
      Effect.gen(function*() {
        const { call, page } = yield* Dashboard
        const created = yield* call("POST", "/api/jobs", { seed_text: seed, goal: "Will the ferry run on Sundays?", tier: "small", forecast_days: 7 })
        assert.strictEqual(created.status, 201, JSON.stringify(created.json))
        const id = created.json["id"] as number
        const row = page.locator(`[data-testid="job-row"][data-job-id="${id}"]`)
        yield* step(async () => {
          await page.goto(new URL("/jobs", page.url()).toString())
          await row.waitFor({ state: "visible" })
        })
        const first = (yield* step(() => row.getByTestId("job-status").innerText())).trim()
        yield* step(() => page.evaluate(() => Reflect.set(window, "__fishcloudMark", "same list")))
        yield* step(() => row.getByTestId("job-status").filter({ hasText: "COMPLETED" }).waitFor({ state: "visible", timeout: 60_000 }))
        assert.strictEqual(yield* step(() => page.evaluate(() => Reflect.get(window, "__fishcloudMark"))), "same list", "the list was not reloaded")
        assert.notStrictEqual(first, "COMPLETED", "the job was live when the list showed it, so the list saw it change")

        for (const status of ["CANCELLED", "COMPLETED"]) {
          yield* step(async () => {
            await page.getByTestId("filter-status").selectOption(status)
            await page.waitForResponse((response) => response.url().includes(`status=${status}`))
            await page.getByTestId("job-row").first().waitFor({ state: "visible" })
          })
          const shown = (yield* step(() => page.getByTestId("job-row").getByTestId("job-status").allInnerTexts())).map((text) => text.trim())
          assert.isAtLeast(shown.length, 1, status)
          assert.deepStrictEqual([...new Set(shown)], [status], `only ${status} jobs are listed`)
        }
        yield* step(() => page.getByTestId("filter-status").selectOption("all"))
      }).pipe(showingFailure("list-live")), 90_000)

    it.effect("another user's job and an unknown job show not found", () =>
      Effect.gen(function*() {
        const { onDatabase, port, page } = yield* Dashboard
        const other = yield* onDatabase(Effect.flatMap(Accounts, (accounts) => accounts.issueToken("mallory")))
        const theirs = yield* apiCaller(port, Redacted.value(other.token))("POST", "/api/jobs", {
          seed_text: seed,
          goal: "Will mallory's job stay private?",
          tier: "small",
          forecast_days: 7
        })
        assert.strictEqual(theirs.status, 201)
        for (const id of [theirs.json["id"] as number, 987_654]) {
          yield* step(async () => {
            await page.goto(new URL(`/jobs/${id}`, page.url()).toString())
            await page.getByTestId("not-found").waitFor({ state: "visible" })
          })
          const visible = yield* step(() => page.getByText("mallory's job").count())
          assert.strictEqual(visible, 0, "nothing of the other user's job shows")
        }
      }).pipe(showingFailure("not-found")), 30_000)

    // Last: it signs the main page out.
    it.effect("an expired session returns to the sign-in page", () =>
      Effect.gen(function*() {
        const { page, onDatabase } = yield* Dashboard
        yield* step(() => page.getByTestId("signout").waitFor({ state: "visible" }))
        yield* onDatabase(Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'session'`))
        // The service may trust the token from its cache a few seconds more (`authenticationFreshFor`): look again
        // until it refuses it.
        yield* step(async () => {
          await page.reload()
          return page.getByTestId("signin-token").waitFor({ state: "visible", timeout: 1_000 }).then(() => true, () => false)
        }).pipe(
          Effect.repeat({ schedule: Schedule.spaced("500 millis"), until: (visible) => visible }),
          Effect.timeout(Duration.seconds(15)),
          Effect.orDie
        )
        assert.include(yield* step(() => page.locator("body").innerText()), "Sign in")
        const { log, requested } = yield* Dashboard
        assert.notMatch(yield* log, /fc_[A-Za-z0-9_-]{20}/, "no token in any line of the service's log")
        const urls = yield* requested
        assert.isAbove(urls.length, 20)
        assert.deepStrictEqual(urls.filter((url) => url.includes("fc_")), [], "no token in any URL the browser asked for")
      }).pipe(showingFailure("expired")), 30_000)
  })
})
