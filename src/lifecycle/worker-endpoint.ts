/**
 * The pod's worker as the client needs it: the URL from the provision step's result (journaled) and the worker secret
 * from the pod's row (never journaled: activity results are stored in plain JSON).
 */
import { Effect, Option } from "effect"
import { JobJournal } from "../../services/job-journal.ts"
import type { WorkerEndpoint } from "../../services/pod-worker-client.ts"
import type { JobId } from "../domain/ids.ts"

export const workerEndpoint = Effect.fn("Lifecycle.workerEndpoint")(function*(
  jobId: JobId,
  pod: { readonly pod_id: string; readonly worker_url: string }
) {
  const secret = yield* JobJournal.use((journal) => journal.podWorkerSecret(jobId, pod.pod_id))
  return { url: pod.worker_url, secret: Option.getOrUndefined(secret) } satisfies WorkerEndpoint
})
