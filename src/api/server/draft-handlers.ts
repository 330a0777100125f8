/** Handlers of `/api/jobs/draft`: drafts are saved incomplete and checked like a new job when launched. */
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobStore } from "../../../services/job-store.ts"
import { Settings } from "../../config.ts"
import type { JobId } from "../../domain/ids.ts"
import type { Job } from "../../domain/job.ts"
import { Api } from "../definition.ts"
import { DemoMode, DraftIncomplete, JobNotFound, StatusConflict } from "../api-errors.ts"
import { admitJob, characterCount, seedTooLong } from "../job-admission.ts"
import type { User } from "../../domain/user.ts"
import { CurrentUser } from "../security.ts"

const isBlank = (text: string | null) => text === null || text.trim().length === 0

/** The fields a draft still lacks before it can run, in a stable order. */
const missingFields = (draft: Job): ReadonlyArray<string> => [
  ...(isBlank(draft.seed_text) ? ["seed_text"] : []),
  ...(isBlank(draft.goal) ? ["goal"] : []),
  ...(draft.tier === null ? ["tier"] : []),
  ...(draft.forecast_days === null ? ["forecast_days"] : [])
]

export const DraftsHandlers = HttpApiBuilder.group(
  Api,
  "drafts",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    const settings = yield* Settings

    const ownedDraft = Effect.fn("Drafts.owned")(function*(user: User, id: JobId) {
      const job = yield* store.get(user.id, id)
      if (Option.isNone(job)) return yield* new JobNotFound({ detail: `Draft ${id} not found` })
      if (job.value.status !== "DRAFT") {
        return yield* new StatusConflict({ job_status: job.value.status, detail: `Job ${id} is not a draft` })
      }
      return job.value
    })

    const load = (user: User, id: JobId) =>
      store.get(user.id, id).pipe(Effect.flatMap(Option.match({
        onNone: () => Effect.die(`job ${id} vanished while being written`),
        onSome: Effect.succeed
      })))

    /** A demo is read-only, drafts included; seeds are held to the same limit as new jobs. */
    const checkWrite = Effect.fn("Drafts.checkWrite")(function*(seedText: string | undefined) {
      if (settings.demoMode) return yield* new DemoMode({})
      if (seedText !== undefined && characterCount(seedText) > settings.maxSeedChars) {
        return yield* seedTooLong(settings.maxSeedChars)
      }
    })

    return handlers
      .handle("create", Effect.fn("Drafts.create")(function*({ payload }) {
        const user = yield* CurrentUser
        yield* checkWrite(payload.seed_text)
        const id = yield* store.insertDraft(user.id, payload)
        return yield* load(user, id)
      }))
      .handle("update", Effect.fn("Drafts.update")(function*({ params, payload }) {
        const user = yield* CurrentUser
        yield* checkWrite(payload.seed_text)
        yield* ownedDraft(user, params.id)
        const updated = yield* store.updateDraft(user.id, params.id, payload)
        if (!updated) yield* ownedDraft(user, params.id)
        return yield* load(user, params.id)
      }))
      .handle("launch", Effect.fn("Drafts.launch")(function*({ params }) {
        const user = yield* CurrentUser
        if (settings.demoMode) return yield* new DemoMode({})
        const draft = yield* ownedDraft(user, params.id)
        const missing = missingFields(draft)
        if (missing.length > 0 || draft.goal === null || draft.tier === null || draft.forecast_days === null) {
          return yield* new DraftIncomplete({ missing, detail: `Draft is incomplete, missing: ${missing.join(", ")}` })
        }
        yield* admitJob(user, {
          seed_text: draft.seed_text,
          goal: draft.goal,
          tier: draft.tier,
          enrich_web: draft.enrich_web,
          forecast_days: draft.forecast_days
        }, { _tag: "Draft", draftId: draft.id })
        return yield* load(user, draft.id)
      }))
  })
)
