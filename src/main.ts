import { NodeRuntime } from "@effect/platform-node"
import { serve } from "./server.ts"

serve.pipe(NodeRuntime.runMain)
