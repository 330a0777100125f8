/** `submit SEED_FILE --goal G --tier T`: create a job from a seed document, optionally waiting for its end. */
import { Console, Effect, FileSystem } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ForecastDays, JobCreate } from "../../domain/job.ts"
import { Tier } from "../../domain/tier.ts"
import { ApiLive, request } from "../api-client.ts"
import { CliFailure, unreadableFile } from "../cli-errors.ts"
import { followJob } from "../follow.ts"
import { progressLine, statusText } from "../format.ts"

const readSeed = Effect.fn("readSeed")(function*(file: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(unreadableFile("seed file", file)))
  if (text.trim().length === 0) return yield* new CliFailure({ message: `seed file ${file} is empty` })
  return text
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
        "Follow the job's progress until it ends, then print its status and GPU cost; exit non-zero unless it COMPLETED"
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
    // Event 1 of a new job is its PENDING status, printed just above.
    yield* followJob(job.id, 1, progressLine(job))
  })
).pipe(Command.withDescription("Submit a simulation job"), Command.provide(ApiLive))
