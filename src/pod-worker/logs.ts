/**
 * The worker's logs, as `/logs` serves them. The pipeline log (stage markers, `round=N/T`, `llm.chat ...`) is kept
 * in memory (the last `memoryLines`) and appended to `pipeline.log` in the data dir, so a restarted worker still
 * serves it; a new job starts it afresh. The vLLM log is a file written by the vLLM server (`VLLM_LOG_FILE`);
 * only its tail is read.
 */
import * as NodePath from "node:path"
import { Context, Effect, FileSystem, Layer, Option, type PlatformError, Semaphore } from "effect"
import type { LogSource } from "../domain/pod-protocol.ts"
import { PodWorkerHome } from "./home.ts"
import { PodWorkerSettings } from "./pod-worker-config.ts"

const memoryLines = 5000
/** The most of the vLLM log read per request: its tail is what matters. */
const vllmTailBytes = 1024 * 1024

export interface LogTail {
  readonly lines: ReadonlyArray<string>
  readonly total: number
}

export class PipelineLog extends Context.Service<PipelineLog, {
  /** Adds a line (also printed to the worker's own stdout). */
  readonly append: (line: string) => Effect.Effect<void>
  /** Forgets the previous job's lines (memory and file). */
  readonly reset: Effect.Effect<void>
  readonly tail: (n: number) => Effect.Effect<LogTail>
  readonly vllmTail: (n: number) => Effect.Effect<LogTail>
}>()("fishcloud/pod-worker/PipelineLog") {}

const splitLines = (text: string) => text.split(/\r?\n/).filter((line) => line.length > 0)

const isNotFound = (error: PlatformError.PlatformError) => error.reason._tag === "NotFound"

const lastN = <A>(items: ReadonlyArray<A>, n: number) => (n <= 0 ? [] : items.slice(-n))

export const PipelineLogLive = Layer.effect(PipelineLog, Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const { home } = yield* PodWorkerHome
  const { vllmLogFile } = yield* PodWorkerSettings
  const file = NodePath.join(home, "pipeline.log")
  const lock = yield* Semaphore.make(1)

  // A restarted worker serves what the previous process logged.
  const previous = yield* fs.readFileString(file).pipe(
    Effect.map(splitLines),
    Effect.catch((error) =>
      (isNotFound(error) ? Effect.void : Effect.logWarning(`pod worker: could not read ${file}: ${error.message}`)).pipe(
        Effect.as<ReadonlyArray<string>>([])
      )
    )
  )
  let lines: Array<string> = lastN(previous, memoryLines)
  let total = previous.length

  const fileFailed = (what: string) => (error: { readonly message: string }) =>
    Effect.logWarning(`pod worker: could not ${what} ${file}: ${error.message}`)

  const append = (line: string) =>
    lock.withPermits(1)(Effect.gen(function*() {
      lines.push(line)
      total += 1
      if (lines.length > memoryLines + 500) lines = lines.slice(-memoryLines)
      yield* fs.writeFileString(file, `${line}\n`, { flag: "a" }).pipe(Effect.catch(fileFailed("append to")))
      yield* Effect.logInfo(line)
    }))

  const reset = lock.withPermits(1)(Effect.gen(function*() {
    lines = []
    total = 0
    yield* fs.writeFileString(file, "").pipe(Effect.catch(fileFailed("truncate")))
  }))

  const readVllm = (path: string) =>
    Effect.scoped(Effect.gen(function*() {
      const size = Number((yield* fs.stat(path)).size)
      const start = Math.max(0, size - vllmTailBytes)
      const handle = yield* fs.open(path, { flag: "r" })
      const bytes = yield* handle.readAlloc(size - start, { position: BigInt(start) })
      const text = Option.match(bytes, { onNone: () => "", onSome: (b) => new TextDecoder().decode(b) })
      // Reading from the middle of the file: the first line is probably cut.
      const all = splitLines(text)
      return start > 0 ? all.slice(1) : all
    }))

  return PipelineLog.of({
    append,
    reset,
    tail: (n) => Effect.sync(() => ({ lines: lastN(lines, n), total })),
    vllmTail: (n) =>
      Option.match(vllmLogFile, {
        onNone: () => Effect.succeed({ lines: [], total: 0 }),
        // A missing file (vLLM not started yet) is an empty log, not an error.
        onSome: (path) =>
          readVllm(path).pipe(
            Effect.map((all) => ({ lines: lastN(all, n), total: all.length })),
            Effect.catch((error) =>
              (isNotFound(error) ? Effect.void : Effect.logWarning(`pod worker: could not read ${path}: ${error.message}`)).pipe(
                Effect.as({ lines: [], total: 0 })
              )
            )
          )
      })
  })
}))

/** `/logs`: vLLM lines prefixed `[vllm] `, pipeline lines `[pipeline] `; `all` = vLLM tail, then pipeline tail. */
export const combinedTail = Effect.fn("PodWorker.logs")(function*(tail: number, source: LogSource) {
  const log = yield* PipelineLog
  const vllm = source === "pipeline" ? { lines: [], total: 0 } : yield* log.vllmTail(tail)
  const pipeline = source === "vllm" ? { lines: [], total: 0 } : yield* log.tail(tail)
  const lines = [...vllm.lines.map((l) => `[vllm] ${l}`), ...pipeline.lines.map((l) => `[pipeline] ${l}`)]
  return { lines: lastN(lines, tail), total_lines: vllm.total + pipeline.total }
})
