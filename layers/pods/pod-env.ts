/** A pod's environment as it leaves for the pod: its secrets (`POD_WORKER_SECRET`) revealed only at this last step. */
import { Redacted } from "effect"
import type { PodRequest } from "../../services/pod-provider.ts"

export const revealEnv = (env: PodRequest["env"]): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([name, value]) => [name, Redacted.isRedacted(value) ? Redacted.value(value) : value]))
