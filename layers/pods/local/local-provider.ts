/**
 * The embedded default provider: every "pod" is a pod-worker process on a free loopback port, with the request's
 * environment (its POD_WORKER_SECRET included; the secret is not written to the provider's record). Processes start
 * detached (their own process group), so they outlive a runner restart, and are recorded in
 * `$FISHCLOUD_HOME/local-pods.json`, so a restarted runner finds, reuses and terminates them. Terminating ends the
 * whole process group and is a no-op when it is already gone; so is a worker that stopped itself (its dead-man's
 * switch). A local pod has no GPU and costs nothing.
 */
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as NodePath from "node:path"
import { Clock, Duration, Effect, Option, Schedule, Schema } from "effect"
import { type Pod, PodProvider, PodProviderError, type PodRequest } from "../../../services/pod-provider.ts"
import { isAlive } from "../../db/embedded-postgres.ts"
import { freeLoopbackPort } from "../../net/free-port.ts"
import { revealEnv } from "../pod-env.ts"
import { stateFile } from "../state-file.ts"

const LocalPod = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  pid: Schema.Int,
  port: Schema.Int,
  created_at: Schema.Number,
  terminated_at: Schema.NullOr(Schema.Number)
})
type LocalPod = typeof LocalPod.Type

const LocalPods = Schema.Struct({ pods: Schema.Array(LocalPod) })

export interface LocalProviderOptions {
  /** Where pods keep their files and the provider its record. */
  readonly home: string
  /** The pod worker's entry point. */
  readonly workerEntry: string
  /** An OpenAI-compatible endpoint for the pods' agents; without it they use the seeded offline policy. */
  readonly llmBaseUrl: Option.Option<string>
  /** Extra settings every pod worker gets (pacing, test knobs). */
  readonly workerEnv?: Readonly<Record<string, string>>
}

const projectRoot = NodePath.resolve(import.meta.dirname, "../../..")

export const defaultWorkerEntry = NodePath.join(projectRoot, "src/pod-worker/main.ts")

const toPod = (pod: LocalPod): Pod => {
  const running = pod.terminated_at === null && isAlive(pod.pid)
  return {
    id: pod.id,
    name: pod.name,
    gpu_type: "local",
    cost_per_hour: 0,
    state: pod.terminated_at !== null ? "terminated" : running ? "running" : "stopped",
    worker_url: running ? `http://127.0.0.1:${pod.port}` : null
  }
}

const failed = (message: string) => (cause: unknown) =>
  new PodProviderError({ reason: "unknown", message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}` })

/** SIGTERM to the pod's process group, SIGKILL if it is still there after a few seconds. */
const stopProcessGroup = (pid: number) =>
  Effect.gen(function*() {
    const signal = (name: NodeJS.Signals) => Effect.sync(() => {
      try {
        process.kill(-pid, name)
      } catch {
        // Already gone: terminate is idempotent.
      }
    })
    yield* signal("SIGTERM")
    const gone = yield* Effect.sync(() => !isAlive(pid)).pipe(
      Effect.repeat({ until: (dead) => dead, schedule: Schedule.spaced("50 millis") }),
      Effect.timeoutOption(Duration.seconds(5))
    )
    if (Option.isNone(gone)) yield* signal("SIGKILL")
  })

export const makeLocalProvider = (options: LocalProviderOptions) =>
  Effect.gen(function*() {
    const store = yield* stateFile(NodePath.join(options.home, "local-pods.json"), LocalPods, { pods: [] })

    const spawnWorker = Effect.fn("LocalPods.spawn")(function*(id: string, port: number, env: PodRequest["env"]) {
      const podHome = NodePath.join(options.home, "pods", id)
      yield* Effect.tryPromise({ try: () => Fs.mkdir(podHome, { recursive: true }), catch: failed(`cannot create ${podHome}`) })
      const log = yield* Effect.tryPromise({ try: () => Fs.open(NodePath.join(podHome, "worker.log"), "a"), catch: failed("cannot open the pod log") })
      const { LLM_BASE_URL: _vllmOnAPod, ...podEnv } = env
      const child = yield* Effect.try({
        try: () =>
          ChildProcess.spawn(process.execPath, [options.workerEntry], {
            cwd: projectRoot,
            detached: true,
            stdio: ["ignore", log.fd, log.fd],
            env: {
              ...process.env,
              ...revealEnv(podEnv),
              ...options.workerEnv,
              ...Option.match(options.llmBaseUrl, { onNone: () => ({}), onSome: (url) => ({ LLM_BASE_URL: url }) }),
              POD_WORKER_HOST: "127.0.0.1",
              POD_WORKER_PORT: String(port),
              POD_WORKER_HOME: podHome
            }
          }),
        catch: failed("cannot start a pod worker")
      }).pipe(Effect.ensuring(Effect.promise(() => log.close())))
      child.unref()
      return child.pid ?? 0
    })

    return PodProvider.of({
      name: "local",
      create: Effect.fn("LocalPods.create")(function*(request) {
        const port = yield* freeLoopbackPort.pipe(Effect.mapError(failed("no free loopback port")))
        const id = `local-${Crypto.randomBytes(6).toString("hex")}`
        const pid = yield* spawnWorker(id, port, request.env)
        const now = yield* Clock.currentTimeMillis
        const pod: LocalPod = { id, name: request.name, pid, port, created_at: now, terminated_at: null }
        yield* store.update((state) => [undefined, { pods: [...state.pods, pod] }] as const)
        return toPod(pod)
      }),
      get: (podId) => Effect.map(store.read, (state) => Option.map(Option.fromNullishOr(state.pods.find((pod) => pod.id === podId)), toPod)),
      listByPrefix: (prefix) =>
        Effect.map(store.read, (state) => state.pods.filter((pod) => pod.name.startsWith(prefix)).map(toPod).filter((pod) => pod.state === "running")),
      terminate: Effect.fn("LocalPods.terminate")(function*(podId) {
        const pod = (yield* store.read).pods.find((candidate) => candidate.id === podId)
        if (pod === undefined || pod.terminated_at !== null) return
        yield* stopProcessGroup(pod.pid)
        const now = yield* Clock.currentTimeMillis
        yield* store.update((state) => [undefined, {
          pods: state.pods.map((candidate) => (candidate.id === podId ? { ...candidate, terminated_at: now } : candidate))
        }] as const)
      })
    })
  })
