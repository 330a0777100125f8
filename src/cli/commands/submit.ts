/** `submit SEED_FILE --goal G --tier T`: create a job from a seed document, optionally waiting for its end. */
import { Console, Effect, FileSystem, Ref, Schedule } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { HttpClientError } from "effect/http"
import { ForecastDays, type Job, JobCreate } from "../../domain/job.ts"
import { isTerminal } from "../../domain/status.ts"
import { Tier } from "../../domain/tier.ts"
import { ApiLive, request } from "../client.ts"
import { Connection } from "../connection.ts"
import { CliFailure, unreadableFile } from "../errors.ts"
import { progressLine, statusText } from "../format.ts"

const readSeed = Effect.fn("readSeed")(function*(file: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(unreadableFile("seed file", file)))
  if (text.trim().length === 0) return yield* new CliFailure({ message: `seed file ${file} is empty` })
  return text
})

const isTransportError = (error: unknown) =>
  HttpClientError.isHttpClientError(error) && error.reason._tag === "TransportError"

/**
 * Polls the job until it reaches a terminal status, printing each status or stage change. A few connection
 * failures in a row are tolerated (the service may be restarting); more end the wait.
 */
const waitForEnd = Effect.fn("waitForEnd")(function*(submitted: Job) {
  if (isTerminal(submitted.status)) return submitted
  const { waitInterval } = yield* Connection
  const printed = yield* Ref.make(progressLine(submitted))
  const printChange = (job: Job) =>
    Effect.gen(function*() {
      const line = progressLine(job)
      if (line !== (yield* Ref.getAndSet(printed, line))) yield* Console.log(line)
    })
  const poll = request((client) =>
    client.jobs.get({ params: { id: submitted.id } }).pipe(
      Effect.retry({ while: isTransportError, times: 5, schedule: Schedule.spaced(waitInterval) })
    )
  ).pipe(Effect.tap(printChange))
  yield* Effect.sleep(waitInterval)
  return yield* poll.pipe(
    Effect.repeat({ schedule: Schedule.spaced(waitInterval), until: (job) => isTerminal(job.status) })
  )
})

export const submit = Command.make(
  "submit",
  {
    seedFile: Argument.String("seed-file").pipe(Argument.withDescription("Text file with the seed document")),
    goal: Flag.String("goal").pipe(
      Flag.withDescription("What the simulation should predict"),
      Flag.withSchema(JobCreate.fields.goal)
    ),
    tier: Flag.Literals("tier", Tier.literals).pipe(Flag.withDescription("Simulation size")),
    forecastDays: Flag.Int("forecast-days").pipe(
      Flag.withDescription("Forecast horizon in days, 1 to 365 (default 30)"),
      Flag.withSchema(ForecastDays),
      Flag.withDefault(30)
    ),
    enrich: Flag.Boolean("enrich").pipe(
      Flag.withDescription("Enrich the seed with web research first (--no-enrich to skip)"),
      Flag.withDefault(true)
    ),
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription(
        "Poll until the job ends (every $FISHCLOUD_WAIT_INTERVAL, default 2 seconds); exit non-zero unless it COMPLETED"
      ),
      Flag.withDefault(false)
    )
  },
  Effect.fn("cli.submit")(function*({ seedFile, goal, tier, forecastDays, enrich, wait }) {
    const seed = yield* readSeed(seedFile)
    const job = yield* request((client) =>
      client.jobs.create({
        headers: {},
        payload: { seed_text: seed, goal, tier, enrich_web: enrich, forecast_days: forecastDays }
      })
    )
    yield* Console.log(`job ${job.id} submitted: ${statusText(job)}`)
    if (!wait) return
    const final = yield* waitForEnd(job)
    if (final.status === "COMPLETED") return
    const reason = final.error_message === null ? "" : `: ${final.error_message}`
    return yield* new CliFailure({ message: `job ${final.id} ended ${final.status}${reason}` })
  })
).pipe(Command.withDescription("Submit a simulation job"), Command.provide(ApiLive))
