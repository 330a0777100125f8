/**
 * Dashboard sign-in: the one-time link the first start logs (and `fishcloud sign-in` prints), exchanged once at
 * `POST /api/session` for a session token that works like an API token until it expires, and then says so.
 */
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { Cause, ConfigProvider, Duration, Effect, Layer, Logger, Redacted } from "effect"
import { AccountsLive } from "../../layers/db/accounts.ts"
import { migrate, PgClientLive } from "../../layers/db/database.ts"
import { Accounts } from "../../services/accounts.ts"
import { ServiceConfig } from "../../src/config.ts"
import { assertProblem, createJob, jobBody } from "../support/api-fixtures.ts"
import { assertOneLineError, runCli, scopedHome } from "../support/cli-process.ts"
import { TestService, TestServiceLive } from "../support/service.ts"
import { scopedTestDatabase } from "../support/test-database.ts"

const lines: Array<string> = []
const capture = Logger.layer([Logger.make((options) => {
  const message = Array.isArray(options.message) ? options.message : [options.message]
  lines.push([...message.map(String), Cause.pretty(options.cause)].join(" "))
})], { mergeWithExisting: true })

const linkPattern = /(https?:\/\/\S+)\/sign-in#code=([A-Za-z0-9_-]+)/

/** The sign-in link of the first start's log: its base URL and its code. */
const loggedLink = () => {
  const line = lines.find((text) => linkPattern.test(text))
  assert.isDefined(line, `no sign-in link in the log:\n${lines.join("\n")}`)
  const [, base, code] = linkPattern.exec(line!)!
  return { line: line!, base: base!, code: code! }
}

const signIn = (code: string) =>
  Effect.gen(function*() {
    const service = yield* TestService
    return yield* service.call("POST", "/api/session", { json: { code } })
  })

layer(TestServiceLive({}, { logLevel: "Info" }).pipe(Layer.provide(capture)), { excludeTestServices: true })("sign-in links", (it) => {
  it.effect("the first start logs a link whose code signs the local administrator in, once", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const { line, base, code } = loggedLink()
      assert.strictEqual(base, service.baseUrl, "the link points at the service")
      assert.include(line, "works once", "the log line says the link works once")

      const before = Date.now()
      const reply = yield* signIn(code)
      assert.strictEqual(reply.status, 200, reply.text)
      const session = reply.json as { token: string; expires_at: string; user: { name: string; admin: boolean } }
      assert.deepStrictEqual(session.user, { name: "local", admin: true })
      const expiresIn = Date.parse(session.expires_at) - before
      assert.isTrue(Math.abs(expiresIn - Duration.toMillis(Duration.hours(24))) < 60_000, `expires in 24 h: ${session.expires_at}`)

      const me = yield* service.call("GET", "/api/me", { token: session.token })
      assert.strictEqual(me.status, 200, me.text)
      assert.deepStrictEqual(me.json, { name: "local", admin: true })
      // The session token is a bearer token like any other: the job routes take it.
      const created = yield* service.call("POST", "/api/jobs", { token: session.token, json: jobBody() })
      assert.strictEqual(created.status, 201, created.text)
      const listed = yield* service.call("GET", "/api/jobs", { token: session.token })
      assert.deepStrictEqual(listed.json.jobs.map((job: { id: number }) => job.id), [created.json.id])

      const again = yield* signIn(code)
      const problem = assertProblem(again, 401, "sign-in-refused")
      assert.include(problem.detail, "already used")

      assert.notInclude(lines.join("\n"), session.token, "the session token is in no log line")
      const tokenFile = yield* Effect.promise(() => Fs.readFile(NodePath.join(service.home, "token"), "utf8"))
      assert.notInclude(lines.join("\n"), tokenFile.trim(), "the API token is in no log line")
      assert.notInclude(line, "fc_", "the link carries a code, not a token")
    }))

  it.effect("an unknown code and a malformed body are refused, saying why", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const unknown = assertProblem(yield* signIn("not-a-real-code"), 401, "sign-in-refused")
      assert.include(unknown.detail, "not known")
      assert.include(unknown.detail, "fishcloud sign-in", "says how to get a new link")
      const empty = yield* service.call("POST", "/api/session", { json: { code: "" } })
      assertProblem(empty, 400)
      const me = yield* service.call("GET", "/api/me")
      assertProblem(me, 401, "unauthorized")
    }))

  it.effect("an expired code is refused as expired, and a code of another user signs that user in", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const accounts = yield* Accounts
      yield* service.tokenFor("erin")
      // A zero lifetime: the code is past its expiry by the time anyone presents it.
      const stale = yield* accounts.createSignInCode("erin", Duration.zero)
      const expired = assertProblem(yield* signIn(Redacted.value(stale.code)), 401, "sign-in-refused")
      assert.include(expired.detail, "expired")

      const fresh = yield* accounts.createSignInCode("erin", Duration.minutes(15))
      const reply = yield* signIn(Redacted.value(fresh.code))
      assert.strictEqual(reply.status, 200, reply.text)
      assert.deepStrictEqual(reply.json.user, { name: "erin", admin: false })
      const api = yield* service.client(reply.json.token)
      assert.deepStrictEqual(yield* api.session.me(), { name: "erin", admin: false })
      assert.lengthOf((yield* api.jobs.list({ query: {} })).jobs, 0, "erin sees her jobs only")
    }))

  it.effect("a code for a user who does not exist is not made", () =>
    Effect.gen(function*() {
      const accounts = yield* Accounts
      const error = yield* Effect.flip(accounts.createSignInCode("nobody-here", Duration.minutes(1)))
      assert.include(error.message, "nobody-here")
    }))

  it.effect("of two exchanges of one code at once, exactly one gets a session", () =>
    Effect.gen(function*() {
      const accounts = yield* Accounts
      yield* (yield* TestService).tokenFor("frank")
      const { code } = yield* accounts.createSignInCode("frank", Duration.minutes(1))
      const replies = yield* Effect.all(Array.from({ length: 4 }, () => signIn(Redacted.value(code))), { concurrency: "unbounded" })
      assert.deepStrictEqual(replies.map((reply) => reply.status).sort(), [200, 401, 401, 401])
    }))
})

layer(TestServiceLive({ sessionTtl: Duration.seconds(1) }), { excludeTestServices: true })("expiring sessions", (it) => {
  it.effect("a session works until its expiry, then every route refuses it saying it expired, cached or not", () =>
    Effect.gen(function*() {
      const service = yield* TestService
      const accounts = yield* Accounts
      yield* service.tokenFor("gina")
      const { code } = yield* accounts.createSignInCode("gina", Duration.minutes(1))
      const reply = yield* signIn(Redacted.value(code))
      assert.strictEqual(reply.status, 200, reply.text)
      const { token, expires_at } = reply.json as { token: string; expires_at: string }
      const api = yield* service.client(token)
      const job = yield* createJob(api)
      // Authenticated just now: the process trusts it from its cache, but not past the expiry.
      assert.strictEqual((yield* service.call("GET", "/api/me", { token })).status, 200)

      yield* Effect.sleep(Duration.millis(Math.max(0, Date.parse(expires_at) - Date.now()) + 50))
      for (const path of ["/api/me", "/api/jobs", `/api/jobs/${job.id}`, `/api/jobs/${job.id}/events`]) {
        const refused = yield* service.call("GET", path, { token })
        const problem = assertProblem(refused, 401, "unauthorized")
        if (path !== `/api/jobs/${job.id}/events`) {
          assert.strictEqual(problem.detail, "Your session expired; sign in again", path)
        }
      }
      // An API token of the same user is untouched.
      const apiToken = yield* service.tokenFor("gina")
      assert.strictEqual((yield* service.call("GET", `/api/jobs/${job.id}`, { token: apiToken })).status, 200)
    }))
})

describe("sign-in settings", () => {
  const load = (env: Record<string, string>) =>
    Effect.gen(function*() {
      return yield* ServiceConfig
    }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

  it.effect("a link works 15 minutes and a session lasts 24 hours unless set otherwise", () =>
    Effect.gen(function*() {
      const defaults = yield* load({})
      assert.strictEqual(Duration.toMillis(defaults.signInCodeTtl), Duration.toMillis(Duration.minutes(15)))
      assert.strictEqual(Duration.toMillis(defaults.sessionTtl), Duration.toMillis(Duration.hours(24)))
      const set = yield* load({ SIGN_IN_CODE_TTL_MINUTES: "5", SESSION_TTL_HOURS: "168" })
      assert.strictEqual(Duration.toMillis(set.signInCodeTtl), Duration.toMillis(Duration.minutes(5)))
      assert.strictEqual(Duration.toMillis(set.sessionTtl), Duration.toMillis(Duration.hours(168)))
    }))

  for (const [name, value] of [["SIGN_IN_CODE_TTL_MINUTES", "0"], ["SIGN_IN_CODE_TTL_MINUTES", "soon"], ["SESSION_TTL_HOURS", "9000"]] as const) {
    it.effect(`a bad ${name} (${value}) fails with a message naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ [name]: value }))
        assert.include(String(error), name)
      }))
  }
})

it.live("fishcloud sign-in prints one link (stdout) for an existing user, and refuses an unknown one", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const onDatabase = <A, E>(effect: Effect.Effect<A, E, Accounts>) =>
      effect.pipe(
        Effect.provide(AccountsLive.pipe(Layer.provideMerge(PgClientLive(Redacted.make(database.url))))),
        Effect.orDie
      )
    yield* migrate.pipe(Effect.provide(PgClientLive(Redacted.make(database.url))), Effect.scoped, Effect.orDie)
    yield* onDatabase(Effect.flatMap(Accounts, (accounts) => accounts.issueToken("hana")))

    const env = { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PUBLIC_URL: "https://fish.example" }
    const [result, unknown] = yield* Effect.all(
      [runCli(["sign-in", "--user", "hana"], env), runCli(["sign-in", "--user", "nobody"], env)],
      { concurrency: 2 }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    const link = result.stdout.trim()
    assert.match(link, /^https:\/\/fish\.example\/sign-in#code=[A-Za-z0-9_-]{43}$/, "only the link on stdout")
    assert.include(result.stderr, "hana")
    const code = link.split("#code=")[1]!
    const session = yield* onDatabase(Effect.flatMap(Accounts, (accounts) => accounts.redeemSignInCode(Redacted.make(code), Duration.hours(1))))
    assert.strictEqual(session.user.name, "hana")

    assertOneLineError(unknown, `there is no user named "nobody"`)
    assert.strictEqual(unknown.stdout, "")
  }), 60_000)
