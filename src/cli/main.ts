/** The `fishcloud` command tree and how it runs. */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { version } from "../version.ts"
import { cancel, list, report, status } from "./commands/job-commands.ts"
import { admin } from "./commands/admin-commands.ts"
import { audit } from "./commands/audit-command.ts"
import { doctor } from "./commands/doctor.ts"
import { maintenance } from "./commands/maintenance.ts"
import { migrate } from "./commands/migrate.ts"
import { open } from "./commands/open.ts"
import { routing } from "./commands/routing-commands.ts"
import { serve } from "./commands/serve.ts"
import { signIn } from "./commands/sign-in.ts"
import { submit } from "./commands/submit.ts"
import { tokens } from "./commands/tokens.ts"
import { quotas } from "./commands/quota-commands.ts"
import { usage } from "./commands/usage.ts"
import { TokenFlag, UrlFlag } from "./connection.ts"
import { OutputLive } from "./output.ts"

const fishcloud = Command.make("fishcloud").pipe(
  Command.withDescription("Run multi-agent simulation jobs on ephemeral GPU pods"),
  Command.withSubcommands([serve, doctor, migrate, maintenance, tokens, signIn, submit, status, list, cancel, report, open, routing, admin, audit, usage, quotas]),
  Command.withGlobalFlags([UrlFlag, TokenFlag])
)

/** Parses the process arguments and runs the chosen command; needs the platform services (`NodeServices.layer`). */
export const run = Command.run(fishcloud, { version }).pipe(Effect.provide(OutputLive))
