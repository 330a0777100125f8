/** The worker's data dir (`POD_WORKER_HOME`): `pipeline.log`, `last-job.json` and the last job's `results/`. */
import * as NodePath from "node:path"
import { Context, Effect, FileSystem, Layer } from "effect"
import { PodWorkerSettings, resolveHome } from "./pod-worker-config.ts"

export class PodWorkerHome extends Context.Service<PodWorkerHome, {
  readonly home: string
  /** The last job's artifacts and `graph_data.json`. */
  readonly resultsDir: string
  /** The last job's status (`last-job.json`), so a restarted worker still answers for a finished job. */
  readonly lastJobFile: string
}>()("fishcloud/pod-worker/PodWorkerHome") {}

export const PodWorkerHomeLive = Layer.effect(PodWorkerHome, Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const home = resolveHome(yield* PodWorkerSettings)
  yield* fs.makeDirectory(home, { recursive: true })
  return PodWorkerHome.of({
    home,
    resultsDir: NodePath.join(home, "results"),
    lastJobFile: NodePath.join(home, "last-job.json")
  })
}))
