/** `serve`: run the service (database, API, lifecycle) until interrupted. */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { serve as runService } from "../../server.ts"
import { CliFailure, describeError } from "../cli-errors.ts"

export const serve = Command.make(
  "serve",
  {
    role: Flag.Literals("role", ["all", "api", "runner"]).pipe(
      Flag.withDescription("all: API and workflow runner in one process; api: only the API; runner: only workflows"),
      Flag.withDefault("all")
    )
  },
  ({ role }) =>
    runService(role).pipe(Effect.mapError((error) => new CliFailure({ message: `serve failed: ${describeError(error)}` })))
).pipe(Command.withDescription("Run the fishcloud service until stopped (Ctrl-C)"))
