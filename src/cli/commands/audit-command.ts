/** `fishcloud audit [--user NAME] [--job ID] [--since TIME] [--page N]`: the audit log, newest first (administrators). */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { AuditPage } from "../../../services/audit.ts"
import { JobId } from "../../domain/ids.ts"
import { ApiLive, request } from "../api-client.ts"
import { jsonText } from "../format.ts"
import { JsonFlag } from "../json-flag.ts"
import { auditTable } from "./admin-tables.ts"

const present = <K extends string, A>(key: K, value: Option.Option<A>): { readonly [P in K]?: A } =>
  Option.match(value, { onNone: () => ({}), onSome: (found) => ({ [key]: found } as { readonly [P in K]?: A }) })

export const audit = Command.make(
  "audit",
  {
    user: Flag.String("user").pipe(Flag.withDescription("Only this user's requests"), Flag.optional),
    job: Flag.Int("job").pipe(Flag.withDescription("Only requests on this job"), Flag.withSchema(JobId), Flag.optional),
    since: Flag.String("since").pipe(Flag.withDescription("From this time on (ISO 8601)"), Flag.optional),
    page: Flag.Int("page").pipe(Flag.withDescription("Page (50 entries each)"), Flag.withDefault(1)),
    json: JsonFlag
  },
  Effect.fn("cli.audit")(function*({ user, job, since, page, json }) {
    const entries = yield* request((client) =>
      client.adminAudit.list({ query: { ...present("user", user), ...present("job", job), ...present("since", since), page } })
    )
    yield* Console.log(json ? yield* jsonText(AuditPage, entries) : auditTable(entries))
  })
).pipe(Command.withDescription("The audit log of state-changing requests (administrators)"), Command.provide(ApiLive))
