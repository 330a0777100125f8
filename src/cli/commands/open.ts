/**
 * `open [ID]`: prints the dashboard's URL on the service the CLI talks to (`<url>/`, or `<url>/jobs/ID` for a job),
 * to open in a browser (`xdg-open "$(fishcloud open 12)"`). Needs no token and makes no request.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { JobId } from "../../domain/ids.ts"
import { Connection, ConnectionLive } from "../connection.ts"

/** The dashboard's page for a job, or its home. */
const dashboardUrl = (baseUrl: string, job: Option.Option<JobId>): string =>
  Option.match(job, { onNone: () => `${baseUrl}/`, onSome: (id) => `${baseUrl}/jobs/${id}` })

export const open = Command.make(
  "open",
  {
    id: Argument.Int("id").pipe(
      Argument.withDescription("Job id (default: the dashboard's home page)"),
      Argument.withSchema(JobId),
      Argument.optional
    )
  },
  Effect.fn("cli.open")(function*({ id }) {
    const { baseUrl } = yield* Connection
    yield* Console.log(dashboardUrl(baseUrl, id))
  })
).pipe(Command.withDescription("Print the dashboard's URL (of a job, with its id)"), Command.provide(ConnectionLive))
