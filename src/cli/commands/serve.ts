/** `serve`: run the service (database, API, lifecycle) until interrupted. */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { S3Config } from "../../../layers/storage/s3/s3-config.ts"
import { configFindings, describeFinding } from "../../config-checks.ts"
import { ServiceConfig } from "../../config.ts"
import { serve as runService } from "../../server.ts"
import { CliFailure, describeError } from "../cli-errors.ts"

/**
 * The configuration checks that cost nothing (`src/config-checks.ts`, which `fishcloud doctor` prints too), before
 * anything starts: an error among them refuses the start, so a configuration that cannot work rents no GPU. Settings
 * that do not parse are left to the service's start, which names the variable.
 */
const refuseContradictions = Effect.gen(function*() {
  const settings = yield* Effect.option(ServiceConfig)
  if (Option.isNone(settings)) return
  const s3Endpoint = settings.value.objectStore === "s3"
    ? yield* S3Config.pipe(Effect.map((s3) => s3.endpoint), Effect.orElseSucceed(() => Option.none<string>()))
    : Option.none<string>()
  const errors = configFindings({ settings: settings.value, s3Endpoint }).filter((finding) => finding.severity === "error")
  if (errors.length > 0) {
    return yield* new CliFailure({ message: `serve refused to start: ${errors.map(describeFinding).join("; ")}` })
  }
})

export const serve = Command.make(
  "serve",
  {
    role: Flag.Literals("role", ["all", "api", "runner"]).pipe(
      Flag.withDescription("all: API and workflow runner in one process; api: only the API; runner: only workflows"),
      Flag.withDefault("all")
    )
  },
  ({ role }) =>
    refuseContradictions.pipe(
      Effect.andThen(
        runService(role).pipe(Effect.mapError((error) => new CliFailure({ message: `serve failed: ${describeError(error)}` })))
      )
    )
).pipe(Command.withDescription("Run the fishcloud service until stopped (Ctrl-C)"))
