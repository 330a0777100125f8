/**
 * The API's floor, for `npm run bench`: the least a server can do to answer `GET /api/jobs/:id` and the first page of
 * `GET /api/jobs` from the same rows: bare `node:http`, the same Postgres driver (`@effect/sql-pg`, one query each,
 * the rows sent as JSON), no router, authentication, validation, middleware or spans. Measured at the same rates as
 * fishcloud in the same run, it shows what this machine allows (autocannon, Postgres and the server share its cores)
 * and what fishcloud's own HTTP stack adds.
 *
 * Run alone by the bench (`startApiFloor`): `node test/bench/api-floor.ts` with DATABASE_URL, PORT and OWNER (the
 * user whose jobs it answers).
 */
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import * as NodePath from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, ManagedRuntime, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"

/** Starts the floor server as a process of its own on `port`; killed when the scope ends. Its pid. */
export const startApiFloor = (options: { readonly url: string; readonly port: number; readonly owner: number }) =>
  Effect.acquireRelease(
    Effect.callback<ChildProcess.ChildProcess>((resume) => {
      const child = ChildProcess.spawn(process.execPath, [NodePath.join(import.meta.dirname, "api-floor.ts")], {
        env: { ...process.env, DATABASE_URL: options.url, PORT: String(options.port), OWNER: String(options.owner) },
        stdio: ["ignore", "pipe", "inherit"]
      })
      child.stdout.once("data", () => resume(Effect.succeed(child)))
      child.once("exit", (code) => resume(Effect.die(new Error(`the API floor server exited (${code}) before listening`))))
    }).pipe(Effect.timeout(Duration.seconds(30)), Effect.orDie),
    (child) => Effect.sync(() => void child.kill("SIGKILL"))
  ).pipe(Effect.map((child) => ({ pid: child.pid ?? 0 })))

const serve = Effect.gen(function*() {
  const sql = yield* PgClient.PgClient
  const owner = Number(process.env["OWNER"])
  const runtime = yield* Effect.context<PgClient.PgClient>()
  const answer = (response: Http.ServerResponse, rows: unknown) => {
    response.writeHead(200, { "content-type": "application/json" })
    response.end(JSON.stringify(rows))
  }
  const server = Http.createServer((request, response) => {
    const match = /^\/api\/jobs\/(\d+)$/.exec(request.url ?? "")
    const query = match === null
      ? sql`SELECT * FROM simulation_jobs WHERE user_id = ${owner} ORDER BY created_at DESC, id DESC LIMIT 20`
      : sql`SELECT * FROM simulation_jobs WHERE id = ${Number(match[1])} AND user_id = ${owner}`
    Effect.runPromiseWith(runtime)(query).then((rows) => answer(response, match === null ? rows : rows[0]), () => {
      response.writeHead(500)
      response.end()
    })
  })
  yield* Effect.callback<void>((resume) => void server.listen(Number(process.env["PORT"]), "127.0.0.1", () => resume(Effect.void)))
  process.stdout.write("listening\n")
  return yield* Effect.never
})

if (import.meta.main) {
  void ManagedRuntime.make(PgClientLive(Redacted.make(process.env["DATABASE_URL"] ?? ""))).runPromise(serve)
}
