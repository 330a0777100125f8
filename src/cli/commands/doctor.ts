/**
 * `doctor`: checks a configuration before it costs anything, in order, printing each finding as ok / warning /
 * error with its fix: settings, database, object store, whether pods reach the service, the pod provider's
 * credentials, the LLM keys, the OTLP endpoint. Exits 1 when any check found an error. Reads the same settings as
 * `serve`; every check is bounded in time and prints no secret.
 */
import { Console, Effect, Option } from "effect"
import { Command } from "effect/cli"
import type { Finding } from "../../config-checks.ts"
import type { ServiceConfig } from "../../config.ts"
import { CliFailure } from "../cli-errors.ts"
import { databaseCheck } from "../doctor/database-check.ts"
import { renderFinding, summary } from "../doctor/doctor-check.ts"
import { llmCheck } from "../doctor/llm-check.ts"
import { otlpCheck } from "../doctor/otlp-check.ts"
import { providerCheck } from "../doctor/provider-check.ts"
import { reachCheck } from "../doctor/reach-check.ts"
import { settingsCheck } from "../doctor/settings-check.ts"
import { storeCheck } from "../doctor/store-check.ts"

/** The checks after the settings, in the order they are printed. */
const checks = (settings: ServiceConfig): ReadonlyArray<Effect.Effect<ReadonlyArray<Finding>>> => [
  databaseCheck(settings),
  storeCheck(settings),
  reachCheck(settings),
  providerCheck(settings),
  llmCheck,
  otlpCheck
]

const print = (findings: ReadonlyArray<Finding>) => Effect.forEach(findings, (finding) => Console.log(renderFinding(finding)), { discard: true })

export const doctor = Command.make(
  "doctor",
  {},
  Effect.fn("cli.doctor")(function*() {
    const found: Array<Finding> = []
    const settings = yield* settingsCheck
    found.push(...settings.findings)
    yield* print(settings.findings)
    if (Option.isSome(settings.settings)) {
      for (const check of checks(settings.settings.value)) {
        const findings = yield* check
        found.push(...findings)
        yield* print(findings)
      }
    }
    const { errors, line } = summary(found)
    yield* Console.log(line)
    if (errors > 0) return yield* new CliFailure({ message: `doctor found ${errors} error${errors === 1 ? "" : "s"} (listed above)` })
  })
).pipe(Command.withDescription("Check the configuration: settings, database, object store, pods, credentials, telemetry"))
