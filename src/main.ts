/** The process entry point: the `fishcloud` CLI (`node src/main.ts serve` runs the service). */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { run } from "./cli/main.ts"

run.pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
