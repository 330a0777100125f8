/**
 * The state files' cross-process lock (`layers/fs/cross-process-lock.ts`), with real processes: several writers on
 * one file lose no update, a held lock keeps the others out, and a holder killed with SIGKILL does not keep it. Both
 * mechanisms: the abstract socket (Linux) and the O_EXCL lock file (elsewhere).
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { crossProcessLock, type LockMechanism } from "../../layers/fs/cross-process-lock.ts"

const fixture = "test/support/fixtures/state-file-writer.ts"

const scopedFolder = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(NodePath.join(Os.tmpdir(), "fishcloud-lock-"))),
  (folder) => Effect.promise(() => Fs.rm(folder, { recursive: true, force: true }))
)

const spawnFixture = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => ChildProcess.spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "pipe", "pipe"] })),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

const exitOf = (child: ChildProcess.ChildProcess) =>
  Effect.callback<number | null>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

const printed = (child: ChildProcess.ChildProcess, text: string) =>
  Effect.callback<void>((resume) => {
    let out = ""
    child.stdout?.on("data", (chunk) => {
      out += String(chunk)
      if (out.includes(text)) resume(Effect.void)
    })
  }).pipe(Effect.timeout(Duration.seconds(30)), Effect.orDie)

const mechanisms: ReadonlyArray<LockMechanism> = ["abstract-socket", "lock-file"]

layer(Layer.empty, { excludeTestServices: true })("cross-process lock", (it) => {
  for (const mechanism of mechanisms) {
    it.effect(`${mechanism}: four processes adding 150 each to one state file lose no update`, () =>
      Effect.gen(function*() {
        const folder = yield* scopedFolder
        const file = NodePath.join(folder, "state.json")
        const writers = yield* Effect.forEach([1, 2, 3, 4], () => spawnFixture(["count", file, mechanism, "150"]))
        const codes = yield* Effect.forEach(writers, exitOf, { concurrency: "unbounded" })
        assert.deepStrictEqual(codes, [0, 0, 0, 0])
        const state = JSON.parse(yield* Effect.promise(() => Fs.readFile(file, "utf8"))) as { count: number }
        assert.strictEqual(state.count, 600)
      }).pipe(Effect.scoped), 120_000)

    it.effect(`${mechanism}: four processes appending 150 each to one append-only log decide each on the latest state`, () =>
      Effect.gen(function*() {
        const folder = yield* scopedFolder
        const file = NodePath.join(folder, "state.jsonl")
        const writers = yield* Effect.forEach([1, 2, 3, 4], () => spawnFixture(["append", file, mechanism, "150"]))
        const codes = yield* Effect.forEach(writers, exitOf, { concurrency: "unbounded" })
        assert.deepStrictEqual(codes, [0, 0, 0, 0])
        const lines = (yield* Effect.promise(() => Fs.readFile(file, "utf8"))).trimEnd().split("\n")
        assert.deepStrictEqual(lines.map((line) => (JSON.parse(line) as { n: number }).n), Array.from({ length: 600 }, (_, i) => i + 1))
      }).pipe(Effect.scoped), 120_000)

    it.effect(`${mechanism}: a held lock keeps this process out; a holder killed with SIGKILL does not`, () =>
      Effect.gen(function*() {
        const folder = yield* scopedFolder
        const file = NodePath.join(folder, "state.json")
        const holder = yield* spawnFixture(["hold", file, mechanism])
        yield* printed(holder, "held")
        const lock = yield* crossProcessLock(file, mechanism)
        const whileHeld = yield* lock.withLock(Effect.void).pipe(Effect.timeoutOption(Duration.millis(500)))
        assert.isTrue(whileHeld._tag === "None", "taken while another process holds it")
        holder.kill("SIGKILL")
        yield* exitOf(holder)
        const afterKill = yield* lock.withLock(Effect.void).pipe(Effect.timeoutOption(Duration.seconds(10)))
        assert.isTrue(afterKill._tag === "Some", "the killed holder's lock was freed")
      }).pipe(Effect.scoped), 60_000)
  }
})
