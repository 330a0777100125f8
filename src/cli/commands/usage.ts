/** `fishcloud usage [--user NAME] [--month YYYY-MM]`: live jobs and the month's spend against the quotas. */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { type Usage, Usage as UsageSchema } from "../../domain/quota.ts"
import { ApiLive, request } from "../api-client.ts"
import { jsonText } from "../format.ts"
import { JsonFlag } from "../json-flag.ts"

const usd = (amount: number) => `$${amount.toFixed(2)}`
const orNoLimit = (limit: number | null, show: (value: number) => string = String) => limit === null ? "no limit" : show(limit)

/** The usage as a few aligned lines. */
const usageText = (usage: Usage): string => {
  const cap = usage.quotas.monthly_spend_cap_usd
  const lines: Array<[string, string]> = [
    ["user", usage.user],
    ["live jobs", `${usage.live_jobs} of ${orNoLimit(usage.quotas.max_live_jobs)}`],
    ["live large jobs", `${usage.live_large_jobs} of ${orNoLimit(usage.quotas.max_live_jobs_large)}`],
    [`spend ${usage.month}`, `${usd(usage.spend_usd)} of ${orNoLimit(cap, usd)} (GPU ${usd(usage.gpu_cost_usd)}, LLM ${usd(usage.llm_cost_usd)})`],
    ["jobs created", String(usage.jobs_created)],
    ["spend resets", usage.resets_at],
    ["quotas", usage.quota_source === "set" ? "set by an administrator" : "the defaults"]
  ]
  const width = Math.max(...lines.map(([label]) => label.length))
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n")
}

export const usage = Command.make(
  "usage",
  {
    json: JsonFlag,
    user: Flag.String("user").pipe(Flag.withDescription("Another user's usage (administrators)"), Flag.optional),
    month: Flag.String("month").pipe(Flag.withDescription("A calendar month, YYYY-MM (UTC); this month by default"), Flag.optional)
  },
  Effect.fn("cli.usage")(function*({ json, user, month }) {
    const query = {
      ...Option.match(user, { onNone: () => ({}), onSome: (name) => ({ user: name }) }),
      ...Option.match(month, { onNone: () => ({}), onSome: (value) => ({ month: value }) })
    }
    const answer = yield* request((client) => client.usage.get({ query }))
    yield* Console.log(json ? yield* jsonText(UsageSchema, answer) : usageText(answer))
  })
).pipe(Command.withDescription("Your live jobs and this month's GPU + LLM spend, against your quotas"), Command.provide(ApiLive))
