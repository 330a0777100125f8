/** `fishcloud serve` as a user starts it: a fresh home and database, then the other commands with no settings at all. */
import { assert, it } from "@effect/vitest"
import { Duration, Effect, Schedule } from "effect"
import { scopedTestDatabase } from "../support/test-database.ts"
import { closedPort, runCli, scopedHome, startCli } from "../support/cli-process.ts"

const healthy = (url: string) =>
  Effect.tryPromise(() => fetch(`${url}/api/health`)).pipe(
    Effect.flatMap((response) => response.ok ? Effect.void : Effect.fail(new Error(`health answered ${response.status}`))),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 200 }),
    Effect.timeout(Duration.seconds(30)),
    Effect.orDie
  )

it.live("serve starts the service and writes the first token; the CLI then needs only HOME and PORT; SIGTERM stops it", () =>
  Effect.gen(function*() {
    const database = yield* scopedTestDatabase
    const home = yield* scopedHome
    const port = String(yield* closedPort)
    const server = yield* startCli(["serve"], { DATABASE_URL: database.url, FISHCLOUD_HOME: home, PORT: port })
    yield* healthy(`http://127.0.0.1:${port}`)

    // No FISHCLOUD_URL and no FISHCLOUD_TOKEN: the URL comes from HOST/PORT, the token from $FISHCLOUD_HOME/token.
    const listed = yield* runCli(["list"], { FISHCLOUD_HOME: home, PORT: port })
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.strictEqual(listed.stdout, "no jobs\n")

    yield* server.kill("SIGTERM")
    const stopped = yield* server.result.pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
    assert.notInclude(stopped.stderr, "    at ", "no stack trace on a normal stop")
  }))
