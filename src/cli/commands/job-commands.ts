/** `status`, `list`, `cancel` and `report`: reading and cancelling your jobs (`--json`: the API's answer as JSON). */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { JobId } from "../../domain/ids.ts"
import { Job, JobPage, JobReport } from "../../domain/job.ts"
import { readerMarkdown } from "../../domain/report.ts"
import { ApiLive, request } from "../api-client.ts"
import { CliFailure } from "../cli-errors.ts"
import { followJob } from "../follow.ts"
import { jobDetails, jobTable, jsonText, statusText } from "../format.ts"
import { JsonFlag } from "../json-flag.ts"
import { currentTerminal } from "../terminal.ts"

const jobId = Argument.Int("id").pipe(Argument.withDescription("Job id"), Argument.withSchema(JobId))

export const status = Command.make(
  "status",
  {
    id: jobId,
    follow: Flag.Boolean("follow").pipe(
      Flag.withDescription("Print the job's events as they happen until it ends, then its status and GPU cost; exit non-zero unless it COMPLETED"),
      Flag.withDefault(false)
    ),
    json: JsonFlag
  },
  Effect.fn("cli.status")(function*({ id, follow, json }) {
    if (follow && json) return yield* new CliFailure({ message: "--json prints the job once; leave out --follow" })
    if (follow) return yield* followJob(id, 0).pipe(Effect.asVoid)
    const job = yield* request((client) => client.jobs.get({ params: { id } }))
    yield* Console.log(json ? yield* jsonText(Job, job) : jobDetails(job))
  })
).pipe(Command.withDescription("Show a job (--follow: follow it to its end)"), Command.provide(ApiLive))

export const list = Command.make(
  "list",
  {
    page: Flag.Int("page").pipe(Flag.withDescription("Page number, from 1"), Flag.optional),
    perPage: Flag.Int("per-page").pipe(Flag.withDescription("Jobs per page (1 to 100)"), Flag.optional),
    json: JsonFlag
  },
  Effect.fn("cli.list")(function*({ page, perPage, json }) {
    const query = {
      ...Option.match(page, { onNone: () => ({}), onSome: (value) => ({ page: value }) }),
      ...Option.match(perPage, { onNone: () => ({}), onSome: (value) => ({ per_page: value }) })
    }
    const jobs = yield* request((client) => client.jobs.list({ query }))
    yield* Console.log(json ? yield* jsonText(JobPage, jobs) : jobTable(jobs, yield* currentTerminal))
  })
).pipe(Command.withDescription("List your jobs, newest first"), Command.provide(ApiLive))

export const cancel = Command.make(
  "cancel",
  { id: jobId },
  Effect.fn("cli.cancel")(function*({ id }) {
    const job = yield* request((client) => client.jobs.cancel({ params: { id } }))
    yield* Console.log(`job ${job.id}: ${statusText(job)}`)
  })
).pipe(Command.withDescription("Cancel a live job (its pod is torn down)"), Command.provide(ApiLive))

export const report = Command.make(
  "report",
  { id: jobId, json: JsonFlag },
  Effect.fn("cli.report")(function*({ id, json }) {
    const result = yield* request((client) => client.jobs.report({ params: { id } }))
    if (json) return yield* Console.log(yield* jsonText(JobReport, result))
    // The service already serves the reader form; cleaning again costs nothing and covers an older service.
    const text = readerMarkdown(result.report)
    yield* Console.log(text.endsWith("\n") ? text.slice(0, -1) : text)
  })
).pipe(Command.withDescription("Print a finished job's report (markdown)"), Command.provide(ApiLive))
