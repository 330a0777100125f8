/**
 * `PodProvider` on RunPod. Create walks the candidates (runpod-candidates.ts) and acts on each answer as runpod-classify.ts
 * says; every call honours 429 Retry-After and retries 5xx with the capped back-off of `runpodPolicy`.
 * v2 create has no idempotency key, so after an answer that may hide a created pod (5xx, lost connection) the pod
 * is looked up by its unique name before creating again: a retry never rents a second pod.
 */
import { Duration, Effect, Option, Ref, Result } from "effect"
import { type Pod, PodProvider, PodProviderError, type PodRequest, type PodState } from "../../../services/pod-provider.ts"
import { backoff } from "../../../src/domain/time-scale.ts"
import { runpodPolicy } from "./runpod-policy.ts"
import { type Candidate, candidateLabel, candidatePlan } from "./runpod-candidates.ts"
import {
  afterCreateFailure,
  describe,
  isRateLimited,
  isServerTrouble,
  meansNotFound,
  outcomeLabel,
  reasonOf,
  type RunPodFailure,
  toProviderError
} from "./runpod-classify.ts"
import type { CreatePodBody, PodRuntime, RunPodClient, RunPodPod } from "./runpod-client.ts"
import { revealEnv } from "../pod-env.ts"

/**
 * The pod worker's port (`docs/lifecycle.md`, "The pod worker protocol") and vLLM's, both behind RunPod's HTTPS proxy.
 */
const workerPort = 5000
const ports = [`${workerPort}/http`, "8000/http"]

const workerUrl = (podId: string) => `https://${podId}-${workerPort}.proxy.runpod.net`

/** The container is up once RunPod reports a runtime (uptime or port mappings); `{}` or null means not yet. */
const runtimeUp = (runtime: PodRuntime | null | undefined) =>
  runtime !== null && runtime !== undefined && (runtime.uptime !== undefined || (runtime.ports ?? []).length > 0)

/** v2 `status` as a `PodState`: running only when RUNNING and the runtime is up. */
const podState = (pod: RunPodPod): PodState => {
  switch (pod.status) {
    case "RUNNING":
      return runtimeUp(pod.runtime) ? "running" : "provisioning"
    case "EXITED":
      return "stopped"
    case "TERMINATED":
      return "terminated"
    case "ERROR":
      return "error"
    default:
      // PROVISIONING, STARTING, or a state added later: keep waiting; the readiness budget bounds the wait.
      return "provisioning"
  }
}

const toPod = (pod: RunPodPod, requestedGpu?: string): Pod => {
  const state = podState(pod)
  return {
    id: pod.id,
    name: pod.name,
    gpu_type: pod.gpu?.id ?? requestedGpu ?? "unknown",
    cost_per_hour: pod.cost ?? 0,
    state,
    worker_url: state === "running" ? workerUrl(pod.id) : null
  }
}

export interface RunPodProviderOptions {
  /** RUNPOD_IMAGE. */
  readonly image: string
  /** RUNPOD_CLOUD_TYPE: replaces the pool the request asks for, when set. */
  readonly cloudType: Option.Option<PodRequest["cloudType"]>
  /**
   * What a pod gets on top of the request's environment to fetch its weights (`podBootEnv` in `pod-env.ts`: HF_TOKEN,
   * WEIGHTS_CACHE_URLS); computed once per create. Unset = nothing more.
   */
  readonly bootEnv?: ((request: PodRequest) => Effect.Effect<PodRequest["env"]>) | undefined
}

/** Waits out 429s as `Retry-After` asks, a bounded number of times and never longer than `maxRetryAfter`. */
const honourRateLimit = <A>(call: Effect.Effect<A, RunPodFailure>, doing: string) => {
  const { rateLimitRetries, defaultRetryAfter, maxRetryAfter } = runpodPolicy
  const attempt = (waits: number): Effect.Effect<A, RunPodFailure> =>
    call.pipe(Effect.catchIf(isRateLimited, (failure) => {
      const wait = Option.getOrElse(failure.retryAfter, () => defaultRetryAfter)
      if (waits >= rateLimitRetries || Duration.isGreaterThan(wait, maxRetryAfter)) return Effect.fail(failure)
      return Effect.logWarning(`RunPod ${doing}: rate limited (429), retrying in ${Duration.format(wait)} as Retry-After asks`).pipe(
        Effect.andThen(Effect.sleep(wait)),
        Effect.andThen(attempt(waits + 1))
      )
    }))
  return attempt(0)
}

/** One RunPod call made patient: 429s waited out, 5xx and lost connections retried with capped back-off. */
const resilient = <A>(call: Effect.Effect<A, RunPodFailure>, doing: string) =>
  Effect.gen(function*() {
    const schedule = yield* backoff(runpodPolicy.serverRetry)
    return yield* honourRateLimit(call, doing).pipe(
      Effect.tapError((failure) =>
        isServerTrouble(failure) ? Effect.logWarning(`RunPod ${doing} failed: ${describe(failure)}`) : Effect.void
      ),
      Effect.retry({ schedule, while: isServerTrouble })
    )
  })

export const makeRunPodProvider = (client: RunPodClient, options: RunPodProviderOptions) => {
  const findByName = (name: string) =>
    client.listPods().pipe(
      Effect.map((pods) => Option.fromNullishOr(pods.find((pod) => pod.name === name && pod.status !== "TERMINATED")))
    )

  /** One candidate, with its 429/5xx retries; after an unclear failure, a pod that did get created is adopted. */
  const createOn = Effect.fnUntraced(function*(request: PodRequest, candidate: Candidate, bootEnv: PodRequest["env"]) {
    const body: CreatePodBody = {
      name: request.name,
      image: options.image,
      gpu: { id: candidate.gpuType, count: runpodPolicy.pod.gpuCount },
      cloud: candidate.cloud,
      disk: runpodPolicy.pod.containerDiskGb,
      ports,
      // POD_WORKER_SECRET (and HF_TOKEN, WEIGHTS_CACHE_URLS when set) among them: the API key is the only other
      // credential that goes in this body's request.
      env: revealEnv({ ...bootEnv, ...request.env })
    }
    const adopt = (why: string) =>
      findByName(request.name).pipe(
        Effect.tap(Option.match({
          onNone: () => Effect.void,
          onSome: (pod) => Effect.logWarning(`RunPod create ${request.name}: adopting pod ${pod.id}, created by a call whose ${why}`)
        }))
      )
    const unsure = yield* Ref.make(false)
    const attempt = Effect.gen(function*() {
      if (yield* Ref.get(unsure)) {
        const existing = yield* adopt("answer was lost")
        if (Option.isSome(existing)) return existing.value
      }
      return yield* client.createPod(body).pipe(
        Effect.tapError((failure) => (isServerTrouble(failure) ? Ref.set(unsure, true) : Effect.void)),
        // A success status with an unreadable body: the pod exists; find it rather than leave it running unknown.
        Effect.catchTag("RunPodBadResponse", (failure) =>
          adopt("answer could not be read").pipe(
            Effect.flatMap(Option.match({ onNone: () => Effect.fail(failure), onSome: Effect.succeed }))
          ))
      )
    })
    return yield* resilient(attempt, `create ${request.name} on ${candidateLabel(candidate)}`)
  })

  /** The created pod, with its hourly price from the pod GET when the create answer lacks it. */
  const priced = Effect.fnUntraced(function*(created: RunPodPod, candidate: Candidate) {
    if ((created.cost ?? 0) > 0) return toPod(created, candidate.gpuType)
    const fetched = yield* Effect.result(resilient(client.getPod(created.id), `get ${created.id}`))
    if (Result.isSuccess(fetched) && Option.isSome(fetched.success)) return toPod(fetched.success.value, candidate.gpuType)
    yield* Effect.logWarning(
      `RunPod pod ${created.id}: no hourly price in the create answer and ${
        Result.isFailure(fetched) ? `the pod GET failed (${describe(fetched.failure)})` : "the pod GET found no pod"
      }; cost recorded as 0`
    )
    return toPod(created, candidate.gpuType)
  })

  return PodProvider.of({
    name: "runpod",
    create: Effect.fn("RunPod.create")(function*(request: PodRequest) {
      yield* Effect.annotateCurrentSpan({ "pod.name": request.name, "gpu.type": request.gpuType })
      const plan = candidatePlan(request.gpuType, Option.getOrElse(options.cloudType, () => request.cloudType))
      const bootEnv = options.bootEnv === undefined ? {} : yield* options.bootEnv(request)
      const tried: Array<string> = []
      let last: RunPodFailure | undefined
      let onlyForbidden = true
      for (const candidate of plan) {
        const result = yield* Effect.result(createOn(request, candidate, bootEnv))
        if (Result.isSuccess(result)) {
          const pod = yield* priced(result.success, candidate)
          yield* Effect.logInfo(`RunPod created pod ${pod.id} (${request.name}) on ${candidateLabel(candidate)} at $${pod.cost_per_hour}/h`)
          return pod
        }
        const failure = result.failure
        if (afterCreateFailure(failure) === "stop") {
          const before = tried.length > 0 ? `; before that: ${tried.join(", ")}` : ""
          return yield* new PodProviderError({
            reason: reasonOf(failure),
            message: `RunPod create ${request.name} on ${candidateLabel(candidate)}: ${describe(failure)}${before}`
          })
        }
        yield* Effect.logInfo(`RunPod create ${request.name} on ${candidateLabel(candidate)}: ${describe(failure)}; trying the next candidate`)
        tried.push(`${candidateLabel(candidate)}: ${outcomeLabel(failure)}`)
        last = failure
        onlyForbidden &&= failure._tag === "RunPodRefused" && failure.status === 403
      }
      // Every pool refusing the key is an access problem, not a shortage: say so.
      return yield* new PodProviderError({
        reason: last !== undefined && onlyForbidden ? "forbidden" : "no_capacity",
        message: `no RunPod GPU for ${request.name}: tried ${tried.join(", ")}; last error: ${
          last === undefined ? "none" : describe(last)
        }`
      })
    }),
    get: Effect.fn("RunPod.get")(function*(podId: string) {
      const pod = yield* resilient(client.getPod(podId), `get ${podId}`).pipe(
        Effect.mapError((failure) => toProviderError(failure, `get ${podId}`))
      )
      return Option.map(pod, (found) => toPod(found))
    }),
    listByPrefix: Effect.fn("RunPod.listByPrefix")(function*(namePrefix: string) {
      const pods = yield* resilient(client.listPods(), "list pods").pipe(
        Effect.mapError((failure) => toProviderError(failure, "list pods"))
      )
      return pods.filter((pod) => pod.name.startsWith(namePrefix) && pod.status !== "TERMINATED").map((pod) => toPod(pod))
    }),
    terminate: Effect.fn("RunPod.terminate")(function*(podId: string) {
      yield* resilient(client.deletePod(podId), `terminate ${podId}`).pipe(
        Effect.catchIf(meansNotFound, () => Effect.logInfo(`RunPod terminate ${podId}: already gone`)),
        Effect.mapError((failure) => toProviderError(failure, `terminate ${podId}`))
      )
    })
  })
}
