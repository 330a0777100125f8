/**
 * The pod worker's entry point: `node --import tsx src/pod-worker/main.ts`. Settings come from the environment
 * (src/pod-worker/pod-worker-config.ts); SIGTERM or Ctrl-C stops the server and any running job.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import { PodWorkerSettingsLive } from "./pod-worker-config.ts"
import { PodWorkerLive } from "./server/pod-worker-server.ts"

Layer.launch(PodWorkerLive.pipe(Layer.provide(PodWorkerSettingsLive))).pipe(NodeRuntime.runMain)
