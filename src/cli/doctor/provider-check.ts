/**
 * Doctor check 5, the pod provider's credentials: for RunPod one read-only call (`GET /pods`, the list the orphan
 * reaper uses) with RUNPOD_API_KEY, and where its pods will take their model's weights; local and rehearsal pods
 * need none.
 */
import { type Config, Effect, Option } from "effect"
import { FetchHttpClient } from "effect/http"
import { makeRunPodClient } from "../../../layers/pods/runpod/runpod-client.ts"
import { RunPodConfig } from "../../../layers/pods/runpod/runpod-config.ts"
import type { Finding } from "../../config-checks.ts"
import type { ServiceConfig } from "../../config.ts"
import { bounded, finding, scrub } from "./doctor-check.ts"

const check = "pod provider"

/** Where rented pods will take their model's weights from (`pod/start.sh`, docs/operations.md "Pod boot"). */
const bootFinding = (runpod: Config.Success<typeof RunPodConfig>): Finding => {
  const sources = [
    ...Option.toArray(Option.map(runpod.weightsCachePrefix, (prefix) => `the weights cache under ${prefix}/ in the object store`)),
    ...(Option.isSome(runpod.hfToken) ? ["the HuggingFace hub with HF_TOKEN"] : []),
    "the public hub"
  ]
  if (sources.length > 1) return { severity: "ok", check: "pod boot", message: `pods take their model's weights from ${sources.join(", then ")}` }
  return {
    severity: "warning",
    check: "pod boot",
    message: "pods download their model's weights from the public hub only (no WEIGHTS_CACHE_PREFIX, no HF_TOKEN): " +
      "slow and rate-limited, so a pod may miss its 15-minute health budget",
    fix: "set WEIGHTS_CACHE_PREFIX and fill the cache, or set HF_TOKEN (docs/operations.md, Pod boot)"
  }
}

const runpodCheck = Effect.gen(function*() {
  const runpod = yield* Effect.option(RunPodConfig)
  if (Option.isNone(runpod) || Option.isNone(runpod.value.apiKey)) {
    return [finding("error", check, "RunPod not checked: its settings are incomplete (see settings above)")]
  }
  const { apiUrl, apiKey } = runpod.value
  const clean = scrub([apiKey.value])
  const client = yield* makeRunPodClient({ apiUrl, apiKey: apiKey.value })
  return yield* client.listPods().pipe(
    Effect.map((pods): ReadonlyArray<Finding> => [{
      severity: "ok",
      check,
      message: `RunPod accepts RUNPOD_API_KEY at ${apiUrl} (${pods.length} pod${pods.length === 1 ? "" : "s"} on the account)`
    }, bootFinding(runpod.value)]),
    Effect.catch((failure) => {
      const refused = failure._tag === "RunPodRefused" && (failure.status === 401 || failure.status === 403)
      return Effect.succeed<ReadonlyArray<Finding>>([{
        severity: "error" as const,
        check,
        message: clean(refused ? `RunPod refused RUNPOD_API_KEY (${failure.message})` : `RunPod at ${apiUrl}: ${failure.message}`),
        fix: refused
          ? "set RUNPOD_API_KEY to a valid key (RunPod console, Settings, API Keys); it needs read and write on pods"
          : "check RUNPOD_API_URL and that this machine reaches it"
      }, bootFinding(runpod.value)])
    })
  )
}).pipe(Effect.provide(FetchHttpClient.layer))

export const providerCheck = (settings: ServiceConfig): Effect.Effect<ReadonlyArray<Finding>> => {
  switch (settings.podProvider) {
    case "local":
      return Effect.succeed([{ severity: "ok", check, message: "local: pods are pod-worker processes on this machine, no credentials" }])
    case "fake":
      return Effect.succeed([{
        severity: "warning",
        check,
        message: "fake: rehearsal mode, pods are simulated and no job runs a real simulation",
        fix: "set POD_PROVIDER=local or runpod to run real jobs"
      }])
    case "runpod":
      return runpodCheck.pipe(bounded(check, "check RUNPOD_API_URL and that this machine reaches it"))
  }
}
