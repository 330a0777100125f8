/**
 * A mutex shared by every process on this machine, named after a file. It makes a read-modify-write of a state file
 * (`layers/pods/state-file.ts`) safe when several fishcloud processes share one FISHCLOUD_HOME: an API, runners and
 * `fishcloud maintenance run` in a rehearsal.
 *
 * On Linux the lock is a listening Unix socket in the abstract namespace. Binding a name is atomic (a second bind
 * fails with EADDRINUSE) and the kernel frees the name when the holder's socket closes, including when the holder is
 * killed with SIGKILL: a crashed holder cannot leave the lock behind, so there is no stale lock to take over and no
 * takeover race to get wrong. Other systems have no abstract namespace; there the lock is a file created with
 * O_EXCL that holds the holder's pid, removed by a waiter once that process is gone. That fallback has one known
 * window: two waiters that find the same dead holder at the same instant can both remove a lock and both go on.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as NodePath from "node:path"
import { Duration, Effect } from "effect"

export type LockMechanism = "abstract-socket" | "lock-file"

/** One attempt to take the lock: the release when it was taken, undefined when another process holds it. */
type Attempt = Effect.Effect<Effect.Effect<void> | undefined>

const socketAttempt = (name: string): Attempt =>
  Effect.callback<Effect.Effect<void> | undefined>((resume) => {
    const server = Net.createServer()
    server.unref()
    server.once("error", (error: NodeJS.ErrnoException) =>
      resume(error.code === "EADDRINUSE" ? Effect.succeed(undefined) : Effect.die(error)))
    server.listen({ path: name }, () =>
      resume(Effect.succeed(Effect.callback<void>((done) => void server.close(() => done(Effect.void))))))
  })

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A lock file whose writer died between creating it and writing its pid is left this long before it is removed. */
const emptyLockGrace = Duration.seconds(5)

const fileAttempt = (path: string): Attempt =>
  Effect.tryPromise(async () => {
    const handle = await Fs.open(path, "wx").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST") return undefined
      return Promise.reject(error)
    })
    if (handle !== undefined) {
      await handle.writeFile(String(process.pid)).finally(() => handle.close())
      return Effect.promise(() => Fs.rm(path, { force: true }))
    }
    const [text, stat] = await Promise.all([Fs.readFile(path, "utf8").catch(() => ""), Fs.stat(path).catch(() => undefined)])
    const holder = Number(text)
    const abandoned = Number.isInteger(holder) && holder > 0
      ? !processAlive(holder)
      : stat !== undefined && Date.now() - stat.mtimeMs > Duration.toMillis(emptyLockGrace)
    // The next attempt creates it afresh.
    if (abandoned) await Fs.rm(path, { force: true })
    return undefined
  }).pipe(Effect.orDie)

/** Between two attempts: short and jittered, since a holder keeps the lock for one small file write. */
const pause = Effect.suspend(() => Effect.sleep(Duration.millis(1 + Math.random() * 4)))

interface CrossProcessLock {
  /** Runs `effect` while this process holds the lock; waits (interruptibly) for it first. */
  readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * The lock named after `file` (its absolute path, symlinks resolved in the folder, which is created if missing).
 * The same file gives the same lock in every process of the machine.
 */
export const crossProcessLock = (
  file: string,
  mechanism: LockMechanism = process.platform === "linux" ? "abstract-socket" : "lock-file"
) =>
  Effect.gen(function*() {
    const folder = NodePath.dirname(NodePath.resolve(file))
    const real = yield* Effect.promise(() =>
      Fs.mkdir(folder, { recursive: true }).then(() => Fs.realpath(folder)).catch(() => folder)
    )
    const absolute = NodePath.join(real, NodePath.basename(file))
    const digest = Crypto.createHash("sha256").update(absolute).digest("hex")
    const attempt = mechanism === "abstract-socket" ? socketAttempt(`\0fishcloud-lock-${digest}`) : fileAttempt(`${absolute}.lock`)
    // Each attempt runs uninterruptibly, so a lock taken is always handed to the release; only the pauses between
    // attempts can be interrupted.
    const acquire = (restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>) =>
      Effect.gen(function*() {
        while (true) {
          const release = yield* attempt
          if (release !== undefined) return release
          yield* restore(pause)
        }
      })
    const withLock = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(acquire(restore), (release) => restore(effect).pipe(Effect.ensuring(release)))
      )
    return { withLock } satisfies CrossProcessLock
  })
