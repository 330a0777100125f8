/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by `playwright-core` (nothing is
 * downloaded). Where no Chromium is installed the tests skip, saying so (`.ci/run` installs it). Also what the tests
 * ask of a page beyond Playwright: whether a chart or graph was drawn, and screenshots.
 */
import * as Fs from "node:fs"
import * as FsPromises from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect } from "effect"
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core"

const root = NodePath.resolve(import.meta.dirname, "../..")

/** Where Chromium is looked for: CHROMIUM_PATH when set (only there), else where Debian's `chromium` package puts it. */
const chosen = process.env["CHROMIUM_PATH"]
const candidates = chosen !== undefined && chosen !== "" ? [chosen] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"]

/** The Chromium executable, when one is installed. */
export const chromiumPath: string | undefined = candidates.find((path) => Fs.existsSync(path))

/** Why the browser tests are skipped, when they are. */
export const noChromium =
  `no Chromium at ${candidates.join(" or ")}: the browser tests are skipped. Install Debian's chromium package ` +
  "(`apt-get install -y chromium`; .ci/run does it), or set CHROMIUM_PATH, to run them."

/**
 * Quiet, offline-friendly flags. Playwright adds `--headless`, `--no-sandbox` and a fresh temporary
 * `--user-data-dir` of its own on each launch (it refuses one in `args`) and removes that folder on close.
 */
const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** A Chromium for the scope (closed with it). Dies when none is installed: check `chromiumPath` first. */
export const scopedBrowser = Effect.acquireRelease(
  Effect.promise(() => {
    if (chromiumPath === undefined) return Promise.reject(new Error(noChromium))
    return chromium.launch({ executablePath: chromiumPath, headless: true, args: flags, timeout: 30_000 })
  }),
  (browser) => Effect.promise(() => browser.close())
)

export const desktop = { width: 1280, height: 800 } as const
export const phone = { width: 390, height: 844 } as const

/**
 * A fresh browser context (its own storage: signed out) with one page, closed with the scope. Native confirm
 * dialogs (destructive buttons confirm) are accepted.
 */
export const scopedPage = (browser: Browser, viewport: { readonly width: number; readonly height: number } = desktop) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const context = await browser.newContext({ viewport, acceptDownloads: true })
      context.setDefaultTimeout(15_000)
      const page = await context.newPage()
      page.on("dialog", (dialog) => void dialog.accept())
      return { context, page }
    }),
    ({ context }: { readonly context: BrowserContext; readonly page: Page }) => Effect.promise(() => context.close())
  )

/**
 * Whether something was drawn inside `root`: a canvas with a painted pixel (2D) or unlike a blank canvas of its size
 * (WebGL), or an SVG with a shape of some size.
 */
const somethingDrawn = (root: Element): boolean => {
  for (const canvas of Array.from(root.querySelectorAll("canvas"))) {
    if (canvas.width === 0 || canvas.height === 0) continue
    const context = canvas.getContext("2d")
    if (context !== null) {
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data
      for (let alpha = 3; alpha < pixels.length; alpha += 4) if (pixels[alpha] !== 0) return true
    } else {
      const blank = document.createElement("canvas")
      blank.width = canvas.width
      blank.height = canvas.height
      if (canvas.toDataURL() !== blank.toDataURL()) return true
    }
  }
  for (const shape of Array.from(root.querySelectorAll("svg path, svg line, svg circle, svg rect, svg polyline, svg text"))) {
    const box = (shape as SVGGraphicsElement).getBBox()
    if (box.width > 0 || box.height > 0) return true
  }
  return false
}

/** Waits (auto-polling, up to `timeout`) until something is drawn inside `locator`'s element. */
export const waitUntilDrawn = (page: Page, locator: Locator, timeout = 15_000) =>
  Effect.promise(async () => {
    const element = await locator.elementHandle({ timeout })
    await page.waitForFunction(somethingDrawn, element, { timeout, polling: 100 })
  })

/** Screenshots go here on every run (not committed)... */
const screenshotDir = NodePath.join(root, "test-output", "screenshots")
/** ...and here, linked from the README, when UPDATE_SCREENSHOTS=1. */
const docsScreenshotDir = NodePath.join(root, "docs", "screenshots")

/**
 * A screenshot of the page's viewport as `name`.png; returns its path under test-output. `forDocs: false` keeps it
 * out of docs/ (a failure's screenshot).
 */
export const screenshot = (page: Page, name: string, options: { readonly forDocs?: boolean } = {}) =>
  Effect.promise(async () => {
    await FsPromises.mkdir(screenshotDir, { recursive: true })
    const file = NodePath.join(screenshotDir, `${name}.png`)
    await page.screenshot({ path: file, animations: "disabled" })
    if (process.env["UPDATE_SCREENSHOTS"] === "1" && options.forDocs !== false) {
      await FsPromises.mkdir(docsScreenshotDir, { recursive: true })
      await FsPromises.copyFile(file, NodePath.join(docsScreenshotDir, `${name}.png`))
    }
    return file
  })
