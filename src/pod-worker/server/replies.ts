/**
 * The worker's side of the protocol schemas: the job it accepts (the protocol's `JobRequest` with sane bounds),
 * the query strings it reads, and the small replies the protocol module does not name.
 */
import { Schema } from "effect"
import { JobRequest, LogSource } from "../../domain/pod-protocol.ts"

const between = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** A job the worker can run: at least one round and one agent, a positive time budget (at most a week). */
export const AcceptableJob = JobRequest.mapFields((fields) => ({
  ...fields,
  max_rounds: between(1, 100_000),
  target_agents: between(1, 10_000),
  timeout_seconds: between(1, 7 * 24 * 3600)
}))

const Tail = Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 100_000 }))

export const LogsQuery = Schema.Struct({ tail: Schema.optionalKey(Tail), source: Schema.optionalKey(LogSource) })
export const PartialChatQuery = Schema.Struct({ tail: Schema.optionalKey(Tail) })

export const AcceptedReply = Schema.Struct({ status: Schema.Literal("accepted") })
export const ErrorReply = Schema.Struct({ error: Schema.String })
