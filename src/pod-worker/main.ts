/**
 * The pod worker's entry point: `node src/pod-worker/main.ts`. Settings come from the environment
 * (src/pod-worker/pod-worker-config.ts); without POD_WORKER_SECRET it refuses to start. SIGTERM or Ctrl-C stops the
 * server and any running job (exit 130). When the dead-man's switch fires (src/pod-worker/idle-rule.ts), the worker
 * logs why, stops the same way and exits 0: it stopped on purpose, and a restart policy of "on failure" (Docker,
 * Kubernetes) must not bring it back.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Runtime } from "effect"
import { idleShutdown } from "./idle-watch.ts"
import { PodWorkerSettingsLive } from "./pod-worker-config.ts"
import { PodWorkerLive } from "./server/pod-worker-server.ts"

const main = Effect.gen(function*() {
  const reason = yield* idleShutdown
  yield* Effect.logWarning(`pod worker stopping: ${reason}`)
}).pipe(Effect.provide(PodWorkerLive), Effect.provide(PodWorkerSettingsLive))

// The exit is explicit: a keep-alive socket or a late timer must not keep a pod that is done alive (and billing).
NodeRuntime.runMain(main, { teardown: (exit) => Runtime.defaultTeardown(exit, (code) => process.exit(code)) })
