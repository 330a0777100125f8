/** The caller's job, or `JobNotFound`: another user's job answers exactly like a missing one. */
import { Effect, Option } from "effect"
import { JobStore } from "../../../services/job-store.ts"
import type { JobId } from "../../domain/ids.ts"
import type { User } from "../../domain/user.ts"
import { JobNotFound } from "../api-errors.ts"

export const ownedJob = Effect.fn("Jobs.owned")(function*(user: User, id: JobId) {
  const job = yield* (yield* JobStore).get(user.id, id)
  if (Option.isNone(job)) return yield* new JobNotFound({ detail: `Job ${id} not found` })
  return job.value
})
