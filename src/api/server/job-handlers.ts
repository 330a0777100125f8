/** Handlers of `/api/jobs`. Reads are owner-scoped: another user's job answers 404 like a missing one. */
import * as Crypto from "node:crypto"
import { Effect, Option, Schema } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { JobLifecycle } from "../../../services/job-lifecycle.ts"
import { JobStore, type NewJob } from "../../../services/job-store.ts"
import { ObjectStore } from "../../../services/object-store.ts"
import { simDataFiles, simDataKey, simDataPrefix } from "../../domain/artifacts.ts"
import type { JobId } from "../../domain/ids.ts"
import { Job, type JobCreate } from "../../domain/job.ts"
import { readerMarkdown } from "../../domain/report.ts"
import { isLive, retryableStatuses } from "../../domain/status.ts"
import { Api } from "../definition.ts"
import {
  IdempotencyKeyInFlight,
  IdempotencyKeyReused,
  LifecycleUnavailable,
  NotAvailable,
  StatusConflict,
  StorageUnavailable
} from "../api-errors.ts"
import { admitJob } from "../job-admission.ts"
import { defaultPerPage, downloadUrlTtl } from "../limits.ts"
import type { User } from "../../domain/user.ts"
import { CurrentUser } from "../security.ts"
import { ownedJob } from "./owned-job.ts"
import { timelineOf } from "./timeline-handlers.ts"

const decodeStoredJob = Schema.decodeUnknownEffect(Job)

export const requestFingerprint = (payload: JobCreate) =>
  Crypto.createHash("sha256")
    .update(JSON.stringify([payload.seed_text, payload.goal, payload.tier, payload.enrich_web, payload.forecast_days]))
    .digest("hex")

export const JobsHandlers = HttpApiBuilder.group(
  Api,
  "jobs",
  Effect.fn(function*(handlers) {
    const store = yield* JobStore
    const lifecycle = yield* JobLifecycle
    const objects = yield* ObjectStore

    const admitAndLoad = (user: User, job: NewJob, retryOf: Option.Option<JobId>) =>
      admitJob(user, job, { _tag: "New", retryOf }).pipe(Effect.flatMap((id) => ownedJob(user, id)), Effect.catchTag("JobNotFound", Effect.die))

    /** Cancels a live job (its pods are torn down); false when it is not live. */
    const cancelLive = (id: JobId, reason: string) =>
      lifecycle.cancel(id, reason).pipe(
        Effect.mapError((error) => new LifecycleUnavailable({ detail: `Job ${id}: ${error.message}` }))
      )

    return handlers
      .handle("create", Effect.fn("Jobs.create")(function*({ payload, headers }) {
        const user = yield* CurrentUser
        const key = headers["idempotency-key"]
        if (key === undefined) return yield* admitAndLoad(user, payload, Option.none())

        const claim = yield* store.claimIdempotencyKey(user.id, key, requestFingerprint(payload))
        switch (claim._tag) {
          case "Mismatch":
            return yield* new IdempotencyKeyReused({ detail: `Idempotency-Key "${key}" was used with another request body` })
          case "InFlight":
            return yield* new IdempotencyKeyInFlight({ detail: `A request with Idempotency-Key "${key}" is in progress` })
          case "Replay":
            return yield* Effect.orDie(decodeStoredJob(claim.body))
          case "Claimed":
            return yield* admitAndLoad(user, payload, Option.none()).pipe(
              Effect.tap((job) => store.completeIdempotencyKey(user.id, key, 201, job)),
              Effect.onExit((exit) => exit._tag === "Success" ? Effect.void : store.releaseIdempotencyKey(user.id, key))
            )
        }
      }))
      .handle("list", Effect.fn("Jobs.list")(function*({ query }) {
        const user = yield* CurrentUser
        return yield* store.list(user.id, { page: query.page ?? 1, after: query.after, status: query.status }, query.per_page ?? defaultPerPage)
      }))
      .handle("get", Effect.fn("Jobs.get")(function*({ params }) {
        return yield* ownedJob(yield* CurrentUser, params.id)
      }))
      .handle("delete", Effect.fn("Jobs.delete")(function*({ params }) {
        const user = yield* CurrentUser
        const job = yield* ownedJob(user, params.id)
        if (isLive(job.status)) yield* cancelLive(job.id, "deleted by its owner")
        // Its objects (artifacts, report) go before its row: a store that fails answers 503 with the job still
        // there to delete again, never a 204 with data left behind. What a cancelled pod uploads after this, the
        // maintenance pass's orphan-artifact sweep deletes.
        yield* objects.deletePrefix(simDataPrefix(job.id)).pipe(
          Effect.tapError((error) => Effect.logError(`job ${job.id}: deleting its objects failed; the job is kept`, error)),
          Effect.mapError(() => new StorageUnavailable({ detail: `Job ${job.id}'s data could not be deleted; the job is kept: try again` }))
        )
        yield* store.delete(user.id, job.id)
      }))
      .handle("cancel", Effect.fn("Jobs.cancel")(function*({ params }) {
        const user = yield* CurrentUser
        const job = yield* ownedJob(user, params.id)
        const conflict = (status: string) =>
          new StatusConflict({ job_status: status, detail: `Only a live job can be cancelled; job ${job.id} is ${status}` })
        if (!isLive(job.status)) return yield* conflict(job.status)
        const cancelled = yield* cancelLive(job.id, "cancelled by its owner")
        const current = yield* ownedJob(user, job.id)
        if (!cancelled) return yield* conflict(current.status)
        return current
      }))
      .handle("retry", Effect.fn("Jobs.retry")(function*({ params }) {
        const user = yield* CurrentUser
        const original = yield* ownedJob(user, params.id)
        if (!retryableStatuses.includes(original.status) || original.goal === null || original.tier === null) {
          return yield* new StatusConflict({
            job_status: original.status,
            detail: `Only a failed or cancelled job can be retried; job ${original.id} is ${original.status}`
          })
        }
        return yield* admitAndLoad(user, {
          seed_text: original.seed_text,
          goal: original.goal,
          tier: original.tier,
          enrich_web: original.enrich_web,
          forecast_days: original.forecast_days ?? 30
        }, Option.some(original.id))
      }))
      .handle("simData", Effect.fn("Jobs.simData")(function*({ params }) {
        const job = yield* ownedJob(yield* CurrentUser, params.id)
        // The store is the truth: whatever of the ten files is there is served, whatever the job row says.
        const present = new Set((yield* objects.list(simDataPrefix(job.id)).pipe(Effect.orDie)).map((object) => object.key))
        const available = simDataFiles.filter((file) => present.has(simDataKey(job.id, file)))
        if (available.length === 0) {
          return yield* new NotAvailable({ detail: `Simulation data of job ${job.id} is not available` })
        }
        const files: Record<string, string> = {}
        for (const file of available) {
          files[file] = yield* objects.presignGet(simDataKey(job.id, file), downloadUrlTtl).pipe(Effect.orDie)
        }
        return { job_id: job.id, files }
      }))
      .handle("timeline", Effect.fn("Jobs.timeline")(function*({ params }) {
        return yield* timelineOf(yield* ownedJob(yield* CurrentUser, params.id))
      }))
      .handle("report", Effect.fn("Jobs.report")(function*({ params }) {
        const user = yield* CurrentUser
        const report = yield* store.report(user.id, params.id)
        // Readers get the report without the `### slot=X — ` markup its stored source keeps for the parser.
        if (Option.isSome(report)) return { ...report.value, report: readerMarkdown(report.value.report) }
        const job = yield* ownedJob(user, params.id)
        return yield* new NotAvailable({ detail: `Job ${job.id} has no report yet (status ${job.status})` })
      }))
  })
)
