/** The process entry point: the `fishcloud` CLI (`node src/main.ts serve` runs the service). */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { run } from "./cli/main.ts"

run.pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
