/**
 * `quotas get USER` and `quotas set USER [--max-live-jobs N|none] [--max-live-jobs-large N|none] [--spend-cap USD|none]`
 * (administrators): a user's quotas through `/api/admin/quotas/:user`; what `set` leaves out keeps its current value.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { QuotaView, type UserQuotas } from "../../domain/quota.ts"
import { ApiLive, request } from "../api-client.ts"
import { CliFailure } from "../cli-errors.ts"
import { jsonText } from "../format.ts"
import { JsonFlag } from "../json-flag.ts"

const orNoLimit = (limit: number | null, show: (value: number) => string = String) => limit === null ? "no limit" : show(limit)

const quotaText = (view: QuotaView): string =>
  [
    `user             ${view.user} (${view.source === "set" ? "set by an administrator" : "the defaults"})`,
    `max live jobs    ${orNoLimit(view.quotas.max_live_jobs)}`,
    `max live large   ${orNoLimit(view.quotas.max_live_jobs_large)}`,
    `monthly cap      ${orNoLimit(view.quotas.monthly_spend_cap_usd, (usd) => `$${usd.toFixed(2)}`)}`
  ].join("\n")

/** A limit flag's value: `none` = no limit, else a number >= 0. */
const limitOf = (flag: string, text: string, integer: boolean): Effect.Effect<number | null, CliFailure> => {
  if (text.trim().toLowerCase() === "none") return Effect.succeed(null)
  const value = Number(text)
  return Number.isFinite(value) && value >= 0 && (!integer || Number.isInteger(value))
    ? Effect.succeed(value)
    : Effect.fail(new CliFailure({ message: `--${flag} must be ${integer ? "a whole number" : "a number"} >= 0, or none` }))
}

const userArgument = Argument.String("user").pipe(Argument.withDescription("The user's name"))

const get = Command.make(
  "get",
  { user: userArgument, json: JsonFlag },
  Effect.fn("cli.quotas.get")(function*({ user, json }) {
    const view = yield* request((client) => client.adminQuotas.get({ params: { user } }))
    yield* Console.log(json ? yield* jsonText(QuotaView, view) : quotaText(view))
  })
).pipe(Command.withDescription("Show the quotas that apply to a user (administrators)"), Command.provide(ApiLive))

const limitFlag = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(`${description}; none = no limit`), Flag.optional)

const set = Command.make(
  "set",
  {
    user: userArgument,
    maxLiveJobs: limitFlag("max-live-jobs", "Live jobs at once (0 = none at all)"),
    maxLiveJobsLarge: limitFlag("max-live-jobs-large", "Live large jobs at once"),
    spendCap: limitFlag("spend-cap", "Monthly GPU + LLM spend cap in USD"),
    json: JsonFlag
  },
  Effect.fn("cli.quotas.set")(function*({ user, maxLiveJobs, maxLiveJobsLarge, spendCap, json }) {
    const current = yield* request((client) => client.adminQuotas.get({ params: { user } }))
    const pick = (flag: string, value: Option.Option<string>, integer: boolean, fallback: number | null) =>
      Option.match(value, { onNone: () => Effect.succeed(fallback), onSome: (text) => limitOf(flag, text, integer) })
    const payload: UserQuotas = {
      max_live_jobs: yield* pick("max-live-jobs", maxLiveJobs, true, current.quotas.max_live_jobs),
      max_live_jobs_large: yield* pick("max-live-jobs-large", maxLiveJobsLarge, true, current.quotas.max_live_jobs_large),
      monthly_spend_cap_usd: yield* pick("spend-cap", spendCap, false, current.quotas.monthly_spend_cap_usd)
    }
    const view = yield* request((client) => client.adminQuotas.set({ params: { user }, payload }))
    yield* Console.log(json ? yield* jsonText(QuotaView, view) : quotaText(view))
  })
).pipe(Command.withDescription("Set a user's quotas (administrators); limits left out keep their value"), Command.provide(ApiLive))

export const quotas = Command.make("quotas").pipe(
  Command.withDescription("Each user's live-job limits and monthly spend cap (administrators)"),
  Command.withSubcommands([get, set])
)

