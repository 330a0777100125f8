/** `serve`: run the service (database, API, lifecycle) until interrupted. */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { serve as runService } from "../../server.ts"
import { CliFailure, describeError } from "../errors.ts"

export const serve = Command.make(
  "serve",
  {},
  () => runService.pipe(Effect.mapError((error) => new CliFailure({ message: `serve failed: ${describeError(error)}` })))
).pipe(Command.withDescription("Run the fishcloud service until stopped (Ctrl-C)"))
