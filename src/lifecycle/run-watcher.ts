/**
 * The runs in flight, polled by one loop per process (`docs/lifecycle.md`, "Polling the simulation"). A workflow whose
 * pod runs the simulation waits on a durable wait (`runOutcome`) and holds nothing in memory meanwhile: the engine
 * lets its workflow go, and the run is a row (`pods.watched_run`) that this watcher polls and ends by completing the
 * wait with the run's outcome. With one fiber and one timer per job, 5,000 waiting jobs cost a runner 1.2 GB and a
 * quarter of a core; here a job costs a map entry between polls.
 *
 * - Which runs: those this process starts (`watch`), and those whose workflow lives on this runner's shards (every
 *   run with the in-memory engine), read from the database once per poll interval and when the runner's shards
 *   change; a restarted runner, or the one that takes a crashed runner's shards over, adopts their runs at once.
 * - When: each run one poll interval after its last poll (a run adopted from a previous process at once), from a
 *   queue ordered by that time (one timer for the process), at most `policies.poll.concurrency` polls at once.
 * - What: the decisions are `poll-signals.ts`'s; this module does the I/O: status every poll, logs every other poll,
 *   the stage written when it changes, the live status too (batched with other runs' into one statement), the
 *   results written straight to the database, the pod's progress saved at a new round at most once a minute so a
 *   re-read run measures on.
 * - A job stopped from outside (terminal, read with the runs) ends its wait with `JobStopped`.
 * - A poll whose writes fail is tried again at the next interval, its observation not kept, while the database is
 *   away (as long as a step would wait); any other failure ends the wait with it (the job fails `internal_error`).
 *   The outcome is completed before the row is released, so a crash in between polls once more and completes the
 *   same wait again, which the engine ignores.
 */
import { Array as Arr, Cause, Clock, Context, Duration, Effect, Exit, FiberSet, Latch, Layer, Option, Schema, Semaphore } from "effect"
import { ClusterSchema, EntityId, type ShardId, Sharding } from "effect/cluster"
import { DurableDeferred, WorkflowEngine } from "effect/workflow"
import { JobJournal, type WatchedRun } from "../../services/job-journal.ts"
import { PodWorkerClient, type WorkerEndpoint } from "../../services/pod-worker-client.ts"
import type { JobId } from "../domain/ids.ts"
import type { Progress } from "../domain/job-event.ts"
import type { StatusReply } from "../domain/pod-protocol.ts"
import { isTerminal, type JobStatus } from "../domain/status.ts"
import { scaled, TimeScale } from "../domain/time-scale.ts"
import { recordStepDuration } from "../metrics.ts"
import { JobStopped } from "./activities/stop.ts"
import { databaseAwayMs, isDatabaseAway } from "./database-away.ts"
import {
  initialPollState,
  observeLogs,
  observeStatus,
  observeStatusFailure,
  type PollState,
  progressOf,
  resumePollState,
  wantsPartialChat
} from "./poll-signals.ts"
import { jobRunning } from "./job-log.ts"
import { policies } from "./policies.ts"
import { outcomeOf, runOutcome, type RunOutcome } from "./run-outcome.ts"
import { SimulationWorkflow } from "./workflows.ts"

/** A run to watch, as its row says (its job's status is read with the rows, not kept). */
type Run = Omit<WatchedRun, "status">

export class RunWatcher extends Context.Service<RunWatcher, {
  /** This process just started the run (and marked it watched on its row): poll it from now on. */
  readonly watch: (run: Run) => Effect.Effect<void>
}>()("fishcloud/lifecycle/RunWatcher") {}

/** One watched run, between polls: its row as last read and what the polls have seen. */
interface Watched {
  row: Run
  /** When it was added, in the order of additions: a read started before then does not know it. */
  readonly since: number
  readonly key: string
  state: PollState
  /** Whether the pod's row holds this run's progress (a run never polled before saves its start first). */
  progressSaved: boolean
  savedAtMs: number
  nextAtMs: number
  polling: boolean
  /** Since when its polls die of a database outage. */
  awaySinceMs: number | undefined
  /** Ended, replaced by a later run or no longer this runner's: skipped when its turn comes. */
  gone: boolean
}

const parseJson = (text: string | undefined, fallback: unknown) =>
  text === undefined ? Effect.succeed(fallback) : Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Unknown))(text).pipe(
    Effect.orElseSucceed(() => fallback)
  )

/**
 * Whether this runner hosts the workflow of a job (the shard of its execution is this runner's), and a fingerprint of
 * which of the listed jobs' shards it holds, which changes when it gains or loses one (at start, at a failover): the
 * runs are read again then, not an interval later. Without sharding (the in-memory engine of the tests), every job is
 * this process's.
 */
const shardOwnership = Effect.gen(function*() {
  const sharding = yield* Effect.serviceOption(Sharding.Sharding)
  if (Option.isNone(sharding)) {
    return { owns: (_jobId: JobId) => Effect.succeed(true), retain: (_: ReadonlySet<JobId>) => {}, shards: Option.none<() => string>() }
  }
  const group = Context.get(SimulationWorkflow.annotations, ClusterSchema.ShardGroup)
  // Each listed job's shard (its execution id hashed once), and every shard those jobs were seen on.
  const shardOf = new Map<JobId, ShardId.ShardId>()
  const seenShards = new Set<ShardId.ShardId>()
  const owns = (jobId: JobId) =>
    Effect.gen(function*() {
      let shard = shardOf.get(jobId)
      if (shard === undefined) {
        const entityId = EntityId.make(yield* SimulationWorkflow.executionId({ job_id: jobId }))
        shard = sharding.value.getShardId(entityId, group(entityId))
        shardOf.set(jobId, shard)
        seenShards.add(shard)
      }
      return sharding.value.hasShardId(shard)
    })
  const shards = () => [...seenShards].map((shard) => sharding.value.hasShardId(shard) ? "1" : "0").join("")
  /** Forgets the jobs no longer listed. */
  const retain = (listed: ReadonlySet<JobId>) => {
    for (const jobId of shardOf.keys()) if (!listed.has(jobId)) shardOf.delete(jobId)
  }
  return { owns, retain, shards: Option.some(shards) }
})

export const RunWatcherLive = Layer.effect(RunWatcher, Effect.gen(function*() {
  const journal = yield* JobJournal
  const worker = yield* PodWorkerClient
  const engine = yield* WorkflowEngine.WorkflowEngine
  const scale = yield* TimeScale
  const every = yield* scaled(policies.poll.every)
  const everyMs = Duration.toMillis(every)
  const readEvery = Duration.toMillis(Duration.max(every, policies.runsReadFloor))
  const saveEveryMs = Duration.toMillis(yield* scaled(policies.progressSaveEvery))
  const statusTimeout = Duration.max(Duration.times(every, 1.5), policies.callTimeoutFloor)
  // Polls due within this much of each other start together (a wake-up per batch, not per job), in bursts of a
  // five-hundredth of the runs, small enough that the requests served meanwhile do not queue behind them.
  const batchMs = everyMs / 500
  // Live statuses gathered this long go out in one statement.
  const gatherMs = everyMs / 50
  const shardsCheckMs = Duration.toMillis(policies.shardsCheckEvery)
  const { owns, retain, shards } = yield* shardOwnership
  yield* Effect.logDebug(Option.isSome(shards) ? "run watcher: polling the runs of this runner's shards" : "run watcher: polling every run (no sharding)")

  // This layer's own table of the runs it polls, and their turns in the order they come due.
  const watched = new Map<JobId, Watched>()
  let turns: Array<Watched> = []
  let additions = 0
  const wakeUp = yield* Latch.make(false)
  const permits = yield* Semaphore.make(policies.poll.concurrency)
  const polls = yield* FiberSet.make()

  /**
   * Completes the run's wait, then releases its row. `gone` meanwhile, so no poll starts; back to polling if this
   * fails, so a later turn or read tries again.
   */
  const finish = (entry: Watched, exit: Exit.Exit<RunOutcome, JobStopped>) =>
    Effect.gen(function*() {
      entry.gone = true
      const { job_id, pod_id, run } = entry.row
      if (liveStatuses.get(job_id)?.entry === entry) liveStatuses.delete(job_id)
      const deferred = runOutcome(run)
      const token = yield* DurableDeferred.tokenFromPayload(deferred, { workflow: SimulationWorkflow, payload: { job_id } })
      yield* DurableDeferred.done(deferred, { token, exit })
      yield* journal.unwatchRun(job_id, pod_id, run)
      if (watched.get(job_id) === entry) watched.delete(job_id)
      const seconds = ((yield* Clock.currentTimeMillis) - entry.state.startedAtMs) / 1000
      const outcome = Exit.isSuccess(exit) ? "ok" : Cause.hasFails(exit.cause) ? "interrupted" : "error"
      yield* recordStepDuration("Lifecycle.runSimulation", outcome, seconds)
      yield* Effect.logDebug(`job ${job_id}: run ${run} on pod ${pod_id} ended: ${Exit.isSuccess(exit) ? exit.value._tag : "job stopped"}`)
    }).pipe(
      Effect.onError(() => Effect.sync(() => {
        entry.gone = false
      })),
      Effect.provideService(WorkflowEngine.WorkflowEngine, engine)
    )

  /**
   * Live statuses waiting to be written, one per job (a newer one replaces it), all in one statement a moment after
   * the first: thousands of runs each write one every other poll. A run that ends drops its own (its outcome says
   * more). A write that dies of a database outage is tried again a second later; any other defect ends the waits of
   * the runs in it, as a poll dying would.
   */
  const liveStatuses = new Map<JobId, { readonly entry: Watched; readonly live: Progress }>()
  let writingLiveStatuses = false

  const writeLiveStatuses: Effect.Effect<void> = Effect.gen(function*() {
    yield* Effect.sleep(Duration.millis(gatherMs))
    const batch = [...liveStatuses.values()]
    liveStatuses.clear()
    const written = yield* Effect.exit(journal.saveLiveStatuses(batch.map(({ entry, live }) => ({ jobId: entry.row.job_id, live }))))
    if (Exit.isSuccess(written) || Cause.hasInterruptsOnly(written.cause)) return
    if (isDatabaseAway(written.cause)) {
      for (const pending of batch) if (!liveStatuses.has(pending.entry.row.job_id)) liveStatuses.set(pending.entry.row.job_id, pending)
      yield* Effect.logWarning(`the database does not answer; ${batch.length} live statuses will be written again`, written.cause)
      yield* Effect.sleep(Duration.seconds(1))
      return
    }
    yield* Effect.forEach(batch, ({ entry }) => finish(entry, Exit.failCause(written.cause)).pipe(Effect.ignoreCause({ log: "Warn" })), { discard: true })
  }).pipe(Effect.ensuring(Effect.suspend(() => {
    writingLiveStatuses = false
    return liveStatuses.size > 0 ? startWritingLiveStatuses : Effect.void
  })))

  const startWritingLiveStatuses: Effect.Effect<void> = Effect.suspend(() => {
    if (writingLiveStatuses) return Effect.void
    writingLiveStatuses = true
    return Effect.asVoid(FiberSet.run(polls, writeLiveStatuses))
  })

  const queueLiveStatus = (entry: Watched, live: Progress) =>
    Effect.suspend(() => {
      liveStatuses.set(entry.row.job_id, { entry, live })
      return startWritingLiveStatuses
    })

  /** One poll of the run; its outcome when the run is over. The entry's state changes only when every write is done. */
  const pollOnce = (entry: Watched) =>
    Effect.gen(function*() {
      const { job_id: jobId, pod_id: podId } = entry.row
      const endpoint: WorkerEndpoint = { url: entry.row.worker_url, secret: Option.getOrUndefined(entry.row.worker_secret) }
      if (!entry.progressSaved) {
        yield* journal.savePodProgress(jobId, podId, progressOf(entry.state))
        entry.progressSaved = true
      }
      const now = yield* Clock.currentTimeMillis
      const reply = yield* worker.status(endpoint).pipe(Effect.timeoutOption(statusTimeout), Effect.option, Effect.map(Option.flatten))
      const step = Option.isNone(reply) ? observeStatusFailure(entry.state, now) : observeStatus(entry.state, now, reply.value)
      let state = step.state
      if (step.firstRunning && (yield* journal.transition(jobId, "RUNNING"))) {
        yield* jobRunning(jobId, podId, yield* journal.podSummary(jobId, podId))
      }
      if (step.completed && Option.isSome(reply)) {
        yield* saveCompleted(jobId, podId, reply.value)
        return Option.some<RunOutcome>({ _tag: "Completed" })
      }
      if (step.verdict) return Option.some(outcomeOf(step.verdict))
      if (step.readLogs) {
        const lines = yield* worker.logs(endpoint, { tail: policies.poll.logTail, source: "pipeline" }).pipe(Effect.option)
        if (Option.isSome(lines)) {
          const posts = wantsPartialChat(state, lines.value.lines)
            ? yield* worker.partialChat(endpoint, policies.poll.partialChatTail).pipe(Effect.orElseSucceed((): ReadonlyArray<unknown> => []))
            : undefined
          const logStep = observeLogs(state, now, lines.value.lines, posts)
          if (logStep.state.maxRound > state.maxRound && now - entry.savedAtMs >= saveEveryMs) {
            yield* journal.savePodProgress(jobId, podId, progressOf(logStep.state))
            entry.savedAtMs = now
          }
          state = logStep.state
          if (logStep.stageChanged !== undefined) yield* journal.setPipelineStage(jobId, logStep.stageChanged)
          if (logStep.liveStatus !== undefined) yield* queueLiveStatus(entry, logStep.liveStatus)
          if (logStep.verdict) return Option.some(outcomeOf(logStep.verdict))
        }
      }
      entry.state = state
      return Option.none<RunOutcome>()
    })

  const saveCompleted = (jobId: JobId, podId: string, reply: StatusReply) =>
    Effect.gen(function*() {
      yield* journal.saveResults(jobId, {
        chatLog: yield* parseJson(reply.chat_log, []),
        graph: yield* parseJson(reply.graph_data, {}),
        structured: yield* parseJson(reply.structured, {})
      })
      // A run that ended between two polls was never seen running.
      if (yield* journal.transition(jobId, "RUNNING")) yield* jobRunning(jobId, podId, yield* journal.podSummary(jobId, podId))
    })

  /**
   * A poll, then the run's end or its next turn. A poll that dies of a database outage is tried again at the next turn
   * for as long as a step would wait one out (`databaseAwayMs`); then, or on any other defect, the run's wait ends
   * with the defect, which fails the job `internal_error` as a step dying would.
   */
  const takeTurn = (entry: Watched) =>
    pollOnce(entry).pipe(
      Effect.tap(() => Effect.sync(() => {
        entry.awaySinceMs = undefined
      })),
      Effect.catchCauseIf((cause) => !Cause.hasInterrupts(cause), (cause) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          if (isDatabaseAway(cause)) {
            entry.awaySinceMs ??= now
            if (now - entry.awaySinceMs < databaseAwayMs) {
              yield* Effect.logWarning(`job ${entry.row.job_id}: the database does not answer; polling its pod again next interval`, cause)
              return Option.none<RunOutcome>()
            }
          }
          yield* finish(entry, Exit.failCause(cause))
          return Option.none<RunOutcome>()
        })),
      Effect.flatMap((outcome) => Option.isSome(outcome) ? finish(entry, Exit.succeed(outcome.value)) : Effect.void),
      Effect.catchCauseIf(
        (cause) => !Cause.hasInterruptsOnly(cause),
        (cause) => Effect.logWarning(`job ${entry.row.job_id}: ending its run's wait failed, trying again next interval`, cause)
      ),
      Effect.ensuring(Effect.gen(function*() {
        entry.polling = false
        if (entry.gone) return
        entry.nextAtMs = (yield* Clock.currentTimeMillis) + everyMs
        turns.push(entry)
      })),
      permits.withPermits(1)
    )

  const startWatching = (row: Run, now: number): Watched => {
    const fresh = initialPollState(row.tier, now, scale, row.max_rounds)
    return {
      row,
      since: ++additions,
      key: `${row.pod_id}/${row.run}`,
      state: Option.isSome(row.progress) ? resumePollState(fresh, row.progress.value) : fresh,
      progressSaved: Option.isSome(row.progress),
      savedAtMs: now,
      // A run just submitted is first asked a poll interval later, as it has had time to show something; one polled
      // before (adopted after a restart or from another runner) at once.
      nextAtMs: Option.isSome(row.progress) ? now : now + everyMs,
      polling: false,
      awaySinceMs: undefined,
      gone: false
    }
  }

  /** A stopped job's run ends its wait (`JobStopped`). */
  const stop = (entry: Watched, status: JobStatus) =>
    FiberSet.run(polls, finish(entry, Exit.fail(new JobStopped({ status }))).pipe(
      Effect.ignoreCause({ log: "Warn", message: `job ${entry.row.job_id}: ending the wait of a stopped job failed, trying again next interval` })
    ))

  /**
   * Reads the runs: new ones start (polled at once), ended or moved ones stop, stopped jobs end their wait. Every
   * interval reads only the runs' keys and their jobs' statuses; the whole rows only of the runs not watched yet.
   */
  const read = Effect.gen(function*() {
    const knownBefore = additions
    const keys = yield* journal.watchedRuns()
    const current = new Set<JobId>()
    const unwatched: Array<JobId> = []
    for (const key of keys) {
      if (!(yield* owns(key.job_id))) continue
      current.add(key.job_id)
      const entry = watched.get(key.job_id)
      if (entry === undefined || entry.key !== `${key.pod_id}/${key.run}`) unwatched.push(key.job_id)
      else if (isTerminal(key.status) && !entry.gone) yield* stop(entry, key.status)
    }
    const rows = (yield* Effect.forEach(Arr.chunksOf(unwatched, policies.runsPerRead), journal.watchedRunsOf)).flat()
    const now = yield* Clock.currentTimeMillis
    const started: Array<Watched> = []
    for (const row of rows) {
      const existing = watched.get(row.job_id)
      // Started by `watch` while the rows were being read.
      if (existing !== undefined && existing.key === `${row.pod_id}/${row.run}`) continue
      if (existing !== undefined) existing.gone = true
      const entry = startWatching(row, now)
      watched.set(row.job_id, entry)
      started.push(entry)
      if (isTerminal(row.status)) yield* stop(entry, row.status)
    }
    // The queue stays in the order of the turns: adopted runs (due now) go first, new ones (due an interval from now) last.
    if (started.length > 0) {
      turns = [...started.filter((entry) => entry.nextAtMs <= now), ...turns, ...started.filter((entry) => entry.nextAtMs > now)]
    }
    for (const [jobId, entry] of watched) {
      // Not listed: ended, or no longer this runner's; unless it was added while the rows were being read.
      if (current.has(jobId) || entry.since > knownBefore) continue
      entry.gone = true
      watched.delete(jobId)
    }
    retain(new Set(keys.map((key) => key.job_id)))
  }).pipe(
    Effect.catchCauseIf(
      (cause) => !Cause.hasInterruptsOnly(cause),
      (cause) => Effect.logWarning(`run watcher: reading the runs failed, trying again next interval: ${Cause.pretty(cause)}`)
    )
  )

  const loop = Effect.gen(function*() {
    let readAtMs = 0
    let held = ""
    while (true) {
      let now = yield* Clock.currentTimeMillis
      const holding = Option.isSome(shards) ? shards.value() : ""
      if (now >= readAtMs || holding !== held) {
        held = holding
        yield* read
        now = yield* Clock.currentTimeMillis
        readAtMs = now + readEvery
      }
      let taken = 0
      while (taken < turns.length && turns[taken]!.nextAtMs <= now + batchMs) {
        const entry = turns[taken++]!
        if (entry.gone || entry.polling) continue
        entry.polling = true
        yield* FiberSet.run(polls, takeTurn(entry))
      }
      if (taken > 0) turns = turns.slice(taken)
      const nextAtMs = Math.min(readAtMs, turns[0]?.nextAtMs ?? readAtMs, Option.isSome(shards) ? now + shardsCheckMs : readAtMs)
      yield* Effect.raceFirst(Effect.sleep(Duration.millis(Math.max(0, nextAtMs - now))), wakeUp.await)
      yield* wakeUp.close
    }
  })
  yield* Effect.forkScoped(loop)

  return RunWatcher.of({
    watch: (run) =>
      Effect.gen(function*() {
        const existing = watched.get(run.job_id)
        if (existing !== undefined && existing.key === `${run.pod_id}/${run.run}`) return
        if (existing !== undefined) existing.gone = true
        const entry = startWatching(run, yield* Clock.currentTimeMillis)
        watched.set(run.job_id, entry)
        // Due an interval from now (or now, for a run polled before): last in the queue, or first.
        turns = entry.progressSaved ? [entry, ...turns] : [...turns, entry]
        yield* wakeUp.open
      })
  })
}))
