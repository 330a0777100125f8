/**
 * A bench scenario's `fishcloud serve` in rehearsal mode (fake pods, no duplicate window): its own home and port
 * under the run's folder, started by `start` (ready once it answers HTTP; SIGKILLed when the scope ends if still up),
 * and the API calls the scenarios make.
 */
import * as FsSync from "node:fs"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Duration, Effect, Schema } from "effect"
import { freeLoopbackPort } from "../../layers/net/free-port.ts"
import { spawnFishcloud, waitForOutput } from "../support/chaos-processes.ts"
import { firstStartToken } from "../support/first-start-token.ts"

/** The Node flags of `npm start` (package.json), which the image sets too (`test/deploy/deploy-files.test.ts`). */
const startFlags = (JSON.parse(FsSync.readFileSync(NodePath.join(import.meta.dirname, "../../package.json"), "utf8")) as {
  scripts: Record<string, string>
}).scripts["start"]?.split(" ").filter((word) => word.startsWith("--")) ?? []

const decodeCreated = Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Struct({ id: Schema.Int })))

export const benchService = (options: {
  readonly url: string
  readonly folder: string
  readonly name: string
  /** FISHCLOUD_TIME_SCALE; the service's default (1) when absent. */
  readonly scale?: number
  /** Write a CPU profile of each process started into this folder when it exits (`--cpu-prof`). */
  readonly profileDir?: string | undefined
  /** Open the inspector on this loopback port (`liveMemoryOf` in `measure.ts` asks it). */
  readonly inspectorPort?: number | undefined
}) =>
  Effect.gen(function*() {
    const home = NodePath.join(options.folder, `${options.name}-home`)
    // Node flags for the service: those `npm start` and the image run it with (the heap cap), then any to look into it
    // (`BENCH_NODE_FLAGS="--trace-gc" npm run bench`).
    const nodeFlags = [
      ...startFlags,
      ...(process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter((flag) => flag !== ""),
      ...(options.inspectorPort === undefined ? [] : [`--inspect=127.0.0.1:${options.inspectorPort}`])
    ]
    yield* Effect.promise(() => Fs.mkdir(home, { recursive: true }))
    const port = yield* Effect.orDie(freeLoopbackPort)
    const env = {
      DATABASE_URL: options.url,
      FISHCLOUD_HOME: home,
      PORT: String(port),
      POD_PROVIDER: "fake",
      DUPLICATE_WINDOW_SECONDS: "0",
      // The bench's one user sends thousands of requests a second and keeps hundreds of jobs live: no quota, no rate limit.
      DEFAULT_MAX_LIVE_JOBS: "0",
      DEFAULT_MAX_LIVE_JOBS_LARGE: "0",
      RATE_LIMIT_READS_PER_MINUTE: "0",
      RATE_LIMIT_WRITES_PER_MINUTE: "0",
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: "0",
      ...(options.scale === undefined ? {} : { FISHCLOUD_TIME_SCALE: String(options.scale) }),
      ...(options.profileDir === undefined
        ? {}
        : { NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --cpu-prof --cpu-prof-dir=${options.profileDir}`.trim() })
    }
    /**
     * Starts the service (its log `<log>.log` in the folder) and waits until it answers; with `role: "runner"` a
     * runner only (`serve --role runner`), ready once it listens for other runners.
     */
    const start = (log: string, role: "all" | "runner" = "all") =>
      Effect.acquireRelease(
        spawnFishcloud(role === "all" ? ["serve"] : ["serve", "--role", "runner"], env, NodePath.join(options.folder, `${log}.log`), nodeFlags),
        (process) => Effect.andThen(process.signal("SIGKILL"), process.exited)
      ).pipe(Effect.tap((process) =>
        waitForOutput(process, role === "all" ? /Listening on http/ : /Listening on: 127\.0\.0\.1:\d+/, Duration.minutes(2))))
    // The first-start token, read once (after the first start): a file read per call would add to every latency measured.
    const token = yield* Effect.cached(firstStartToken(home))
    /** An API call as the first-start user: its status and body. */
    const call = (method: string, path: string, body?: unknown) =>
      Effect.flatMap(token, (token) =>
        Effect.tryPromise(() =>
          fetch(`http://127.0.0.1:${port}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: AbortSignal.timeout(30_000)
          }).then(async (response) => ({
            status: response.status,
            retryAfter: response.headers.get("retry-after"),
            text: await response.text()
          }))))
    /** Creates refused with 503 because too many jobs were starting (MAX_QUEUED_JOBS), each retried. */
    const busy = { refused: 0 }
    /** Submits a job as a well-behaved client does: a 503 is tried again after its `Retry-After`. Its id. */
    const createJob = (job: { readonly seed_text: string; readonly goal: string; readonly tier: string; readonly forecast_days: number }): Effect.Effect<number> =>
      Effect.gen(function*() {
        const reply = yield* Effect.orDie(call("POST", "/api/jobs", job))
        if (reply.status !== 503) return (yield* Effect.orDie(decodeCreated(reply.text))).id
        busy.refused++
        yield* Effect.sleep(Duration.seconds(Number(reply.retryAfter ?? "1")))
        return yield* createJob(job)
      })
    return { home, port, start, call, createJob, busy }
  })
