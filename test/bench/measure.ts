/** What the bench measures with: a process's CPU time, a database's row writes, percentiles. */
import * as Fs from "node:fs/promises"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted } from "effect"
import { PgClientLive } from "../../layers/db/database.ts"

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const userHz = 100

/** User + system CPU seconds a process has used so far (Linux). */
export const cpuSecondsOf = (pid: number) =>
  Effect.promise(async () => {
    const stat = await Fs.readFile(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are space-separated.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / userHz
  })

/** Resident memory of a process in MB (Linux). */
export const rssMbOf = (pid: number) =>
  Effect.promise(async () => {
    const status = await Fs.readFile(`/proc/${pid}/status`, "utf8")
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
  })

/** Runs `query` on the database at `url` with a pool of its own. */
export const onDatabase = <A>(url: string, query: (sql: PgClient.PgClient) => Effect.Effect<A, unknown>) =>
  Effect.gen(function*() {
    return yield* query(yield* PgClient.PgClient)
  }).pipe(Effect.provide(PgClientLive(Redacted.make(url))), Effect.scoped, Effect.orDie)

/**
 * Rows inserted, updated and deleted in the database's tables so far. Postgres publishes a backend's counts when it
 * goes idle, at most once a second: wait a little after the work before reading.
 */
export const rowWrites = (url: string) =>
  Effect.andThen(
    Effect.sleep(Duration.millis(1500)),
    onDatabase(url, (sql) =>
      Effect.map(
        sql<{ relname: string; writes: number }>`SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::int AS writes
          FROM pg_stat_user_tables`,
        (rows) => new Map(rows.map((row) => [row.relname, row.writes]))
      ))
  )

/**
 * Transactions committed or rolled back in the database so far (each statement outside a transaction is one): how
 * many round trips to Postgres the work took. Published like `rowWrites`, so read after it.
 */
export const transactionsOf = (url: string) =>
  onDatabase(url, (sql) =>
    Effect.map(
      sql<{ n: number }>`SELECT (xact_commit + xact_rollback)::int AS n FROM pg_stat_database WHERE datname = current_database()`,
      (rows) => rows[0]?.n ?? 0
    ))

/** Per-table writes between two `rowWrites` readings, the busiest first. */
export const writesBetween = (before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>) =>
  [...after].map(([table, writes]) => [table, writes - (before.get(table) ?? 0)] as const)
    .filter(([, writes]) => writes > 0)
    .sort((a, b) => b[1] - a[1])

/** Nearest-rank percentile; NaN for no values. */
export const percentile = (values: ReadonlyArray<number>, p: number) => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/**
 * A process's heap after a full garbage collection, and its resident memory then (MB), through the inspector it was
 * started with (`--inspect=127.0.0.1:<port>`): what its live objects take, apart from the garbage V8 has not yet
 * collected (on a machine with plenty of memory V8 collects lazily, so RSS alone says little about the live set).
 */
export const liveMemoryOf = (inspectorPort: number) =>
  Effect.tryPromise(async () => {
    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json() as ReadonlyArray<{ webSocketDebuggerUrl: string }>
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl)
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve)
      socket.addEventListener("error", reject)
    })
    type Reply = { readonly id?: number; readonly result?: { readonly result?: { readonly value?: string } } }
    const replies = new Map<number, (reply: Reply) => void>()
    socket.addEventListener("message", (event) => {
      const reply = JSON.parse(String(event.data)) as Reply
      if (reply.id !== undefined) replies.get(reply.id)?.(reply)
    })
    let next = 0
    const send = (method: string, params: object = {}) =>
      new Promise<Reply>((resolve) => {
        const id = ++next
        replies.set(id, resolve)
        socket.send(JSON.stringify({ id, method, params }))
      })
    await send("HeapProfiler.collectGarbage")
    const usage = await send("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())" })
    socket.close()
    const memory = JSON.parse(usage.result?.result?.value ?? "{}") as { heapUsed?: number; rss?: number }
    return { heapMb: Math.round((memory.heapUsed ?? 0) / 2 ** 20), rssMb: Math.round((memory.rss ?? 0) / 2 ** 20) }
  }).pipe(Effect.orDie)
