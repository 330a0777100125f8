/**
 * The fake pod's life as a pure function of time: when it runs, when its LLM backend answers, which stage and
 * round its simulation is at, and what its logs say. Deriving everything from the clock (instead of timers) means
 * the fake survives a restarted runner and follows the TestClock in tests.
 */
import type { FakePodRecord } from "../../../services/fake-pods.ts"
import { parsePodName } from "../../../src/domain/pods.ts"
import { drawnFault, type FakeFault, firstPodFaults } from "./fake-faults.ts"

/** Seconds at time scale 1; every value is multiplied by the scale. */
export const fakeTimings = {
  readyAfter: 20,
  vllmReadyAfter: 30,
  stage: 10,
  round: 30,
  /** A round on a slow pod: 0.22 rounds per minute, under every tier's minimum. */
  slowRound: 270,
  /** The unreachable stretch starts this long after submit and lasts long enough for 30 failed polls. */
  unreachableFrom: 60,
  unreachableFor: 310,
  failAfterRounds: 2,
  stuckAtRound: 3
} as const

export interface FakeWorld {
  readonly faults: ReadonlySet<FakeFault>
  readonly scale: number
  /** Tests stretch or shrink single timings (a pod that never starts, a run that is too long). */
  readonly timings?: Partial<Record<keyof typeof fakeTimings, number>> | undefined
  /** How many of the first pods the first-pod faults of `faults` hit (1 unless a test wants a second bad pod). */
  readonly faultyPods?: number | undefined
  /** FAKE_POD_FAULT_SEED: each job draws a fault of its own (`drawnFault`). */
  readonly faultSeed?: number | undefined
}

const seconds = (world: FakeWorld, key: keyof typeof fakeTimings) =>
  (world.timings?.[key] ?? fakeTimings[key]) * world.scale * 1000

/** The fault the job of the pod named `name` drew (FAKE_POD_FAULT_SEED), if it applies to this pod of the job. */
export const jobFault = (name: string, world: FakeWorld): FakeFault | undefined => {
  const pod = world.faultSeed === undefined ? undefined : parsePodName(name)
  if (pod === undefined) return undefined
  const fault = drawnFault(world.faultSeed!, pod.jobId)
  return fault !== undefined && (!firstPodFaults.has(fault) || pod.attempt === 1) ? fault : undefined
}

/**
 * Whether `pod` meets `fault`: one of the process's faults (a first-pod fault only on the first `faultyPods` pods
 * the provider created) or its job's drawn fault.
 */
export const meets = (pod: Pick<FakePodRecord, "name" | "index">, fault: FakeFault, world: FakeWorld) =>
  (world.faults.has(fault) && (!firstPodFaults.has(fault) || pod.index <= (world.faultyPods ?? 1))) ||
  jobFault(pod.name, world) === fault

export const podState = (pod: FakePodRecord, now: number, world: FakeWorld) => {
  if (pod.terminated_at !== null) return "terminated" as const
  if (meets(pod, "never-ready", world)) return "provisioning" as const
  return now < pod.created_at + seconds(world, "readyAfter") ? "provisioning" as const : "running" as const
}

export const vllmReady = (pod: FakePodRecord, now: number, world: FakeWorld) =>
  podState(pod, now, world) === "running" &&
  now >= pod.created_at + seconds(world, "readyAfter") + seconds(world, "vllmReadyAfter") &&
  !meets(pod, "bad-host", world) && !meets(pod, "vllm-fatal", world)

const roundLengthOf = (pod: FakePodRecord, world: FakeWorld) =>
  meets(pod, "slow-pod", world) ? seconds(world, "slowRound") : seconds(world, "round")

/** How long a run takes from submission: two stages, every round, the last stage. */
const runLength = (pod: FakePodRecord, world: FakeWorld) => 3 * seconds(world, "stage") + pod.max_rounds * roundLengthOf(pod, world)

/** When the pod's simulation is done (epoch ms; the last second it is of use), or null before a job was submitted. */
export const finishedAt = (pod: FakePodRecord, world: FakeWorld): number | null =>
  pod.submitted_at === null ? null : pod.submitted_at + runLength(pod, world)

/** Where the simulation is: the number of rounds done, and whether it finished or failed. */
export const progress = (pod: FakePodRecord, now: number, world: FakeWorld) => {
  if (pod.submitted_at === null) return { status: "idle" as const, stage: 0, round: 0 }
  const elapsed = now - pod.submitted_at
  const stage = seconds(world, "stage")
  const roundLength = roundLengthOf(pod, world)
  const simulationStart = 2 * stage
  let round = elapsed < simulationStart ? 0 : Math.min(pod.max_rounds, Math.floor((elapsed - simulationStart) / roundLength))
  if (meets(pod, "stuck", world)) round = Math.min(round, world.timings?.stuckAtRound ?? fakeTimings.stuckAtRound)
  const stageNumber = elapsed < stage ? 1 : elapsed < simulationStart ? 2 : round < pod.max_rounds ? 3 : 4
  const failAfterRounds = world.timings?.failAfterRounds ?? fakeTimings.failAfterRounds
  if (meets(pod, "worker-fail", world) && round >= failAfterRounds) {
    return { status: "failed" as const, stage: stageNumber, round: failAfterRounds }
  }
  const finished = round >= pod.max_rounds && elapsed >= runLength(pod, world)
  return { status: finished ? "completed" as const : "running" as const, stage: stageNumber, round }
}

/** During its unreachable stretch the pod answers nothing. */
export const unreachable = (pod: FakePodRecord, now: number, world: FakeWorld) => {
  if (!meets(pod, "unreachable", world) || pod.submitted_at === null) return false
  const from = pod.submitted_at + seconds(world, "unreachableFrom")
  return now >= from && now < from + seconds(world, "unreachableFor")
}

export const vllmLines = (pod: FakePodRecord, now: number, world: FakeWorld): ReadonlyArray<string> => {
  if (podState(pod, now, world) !== "running") return []
  if (meets(pod, "vllm-fatal", world)) {
    return ["INFO starting vLLM engine", "ERROR RuntimeError: CUDA driver initialization failed, you might not have a CUDA gpu."]
  }
  return vllmReady(pod, now, world) ? ["INFO starting vLLM engine", "INFO Uvicorn running on http://0.0.0.0:8000"] : ["INFO starting vLLM engine"]
}

export const pipelineLines = (pod: FakePodRecord, now: number, world: FakeWorld): ReadonlyArray<string> => {
  const state = progress(pod, now, world)
  if (state.status === "idle") return []
  const lines = ["[stage] Generating ontology"]
  if (state.stage >= 2) lines.push("[stage] Building entity graph")
  if (state.stage >= 3) lines.push("[stage] Running simulation")
  const llmFailing = meets(pod, "circuit-breaker", world)
  for (let round = 1; round <= state.round; round++) {
    for (let call = 1; call <= (llmFailing ? 6 : 1); call++) {
      lines.push(llmFailing ? `llm.chat transient error attempt=${call} status=500` : `llm.chat ok agent=a${call} tokens=412`)
    }
    lines.push(`round=${round}/${pod.max_rounds} posts=${round * 3} trades=${round}`)
  }
  if (state.stage >= 4) lines.push("[stage] preparing sim data artifacts")
  if (state.status === "completed") lines.push('{"status": "done", "report_pending": true}')
  if (state.status === "failed") lines.push("Traceback (most recent call last):", "RuntimeError: simulated worker failure in round 2")
  return lines
}
